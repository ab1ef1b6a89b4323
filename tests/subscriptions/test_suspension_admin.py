"""Suspensions in the admin: causes on the line's page, the outbox for staff, and the
supervisors' fraud and national-security causes with a reason (R13.1)."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from subscriptions.models import Line, ProvisioningOrder


def _act(client, line: Line, **form):
    return client.post(
        reverse("admin:subscriptions_line_changelist"),
        {"action": "supervise_suspension", ACTION_CHECKBOX_NAME: [line.pk], **form},
        follow=True,
    )


def test_r13_1_supervisor_suspends_for_fraud_then_lifts_with_reasons(client, alice, supervisor):
    line = Line.objects.get(contract__customer=alice)
    client.force_login(supervisor)
    form = _act(client, line)
    assert form.status_code == 200 and "reason" in form.context["form"].fields
    _act(client, line, decision="open", cause="fraud", reason="Spam SMS reported (R7.7)")
    cause = line.suspension_causes.get(cause="fraud")
    assert (cause.opened_by, cause.reason) == (supervisor, "Spam SMS reported (R7.7)")
    line.refresh_from_db()
    assert line.status == Line.Status.SUSPENDED
    _act(client, line, decision="lift", cause="fraud", reason="Inquiry closed")
    cause.refresh_from_db()
    assert (cause.lifted_by, cause.lift_reason) == (supervisor, "Inquiry closed")


def test_r13_1_an_agent_cannot_open_a_fraud_cause(client, alice, agent):
    line = Line.objects.get(contract__customer=alice)
    client.force_login(agent)
    _act(client, line, decision="open", cause="fraud", reason="Spam")
    assert not line.suspension_causes.filter(cause="fraud").exists()


def test_r13_1_line_page_shows_its_causes_and_the_outbox_lists_its_orders(
    client, bob, agent, sfax_agent
):
    line = Line.objects.get(contract__customer=bob)
    client.force_login(agent)  # Tunis Lac: bob's line is in Sfax
    assert client.get(reverse("admin:subscriptions_line_change", args=[line.pk])).status_code == 404
    client.force_login(sfax_agent)
    page = client.get(reverse("admin:subscriptions_line_change", args=[line.pk]))
    assert page.status_code == 200
    assert "Unpaid invoice" in page.content.decode()  # the reason of its open cause
    outbox = client.get(reverse("admin:subscriptions_provisioningorder_changelist"))
    assert list(outbox.context["cl"].result_list) == list(
        ProvisioningOrder.objects.filter(line=line)
    )
