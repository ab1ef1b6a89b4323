"""The boutique's queue of files in the admin: deadlines, piece checks, accept, refuse, sale."""

from datetime import timedelta

import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Offer
from subscriptions.models import SubscriptionFile
from tests.factories import CustomerFactory, MobileNumberFactory, SimCardFactory
from tests.subscriptions.helpers import MONDAY_9, QUEUE, _mark_all_received, submitted_file


def test_r3_2_queue_is_ordered_by_deadline_and_shows_time_left(client, grid, lac, agent):
    later = submitted_file(boutique=lac, at=MONDAY_9 + timedelta(days=2))
    sooner = submitted_file(boutique=lac, at=MONDAY_9)
    client.force_login(agent)
    response = client.get(reverse(QUEUE))
    files = list(response.context["cl"].result_list)
    assert files[:2] == [sooner, later]
    assert "overdue by" in response.text or "en retard" in response.text


def test_r3_2_supervisor_sees_breached_deadlines_per_boutique(client, grid, lac, sfax, supervisor):
    submitted_file(boutique=lac, at=timezone.now() - timedelta(days=20))
    client.force_login(supervisor)
    response = client.get(reverse(QUEUE))
    counts = {b.code: b.breached_files for b in response.context["boutiques_breaches"]}
    assert counts == {"tunis-lac": 1, "sfax-centre": 0}
    assert 'id="deadline-breaches"' in response.text


def test_r3_2_the_breached_count_opens_the_breached_files_of_that_boutique(
    client, grid, lac, sfax, supervisor
):
    late = submitted_file(boutique=lac, at=MONDAY_9)
    submitted_file(boutique=lac, at=MONDAY_9 + timedelta(days=10))  # its answer is due on day 25
    submitted_file(boutique=sfax, at=MONDAY_9)
    client.force_login(supervisor)
    with time_machine.travel(MONDAY_9 + timedelta(days=20), tick=False):
        table = client.get(reverse(QUEUE))
        link = f"?deadline=breached&amp;boutique__id__exact={lac.pk}"
        assert link in table.text
        listed = client.get(reverse(QUEUE), {"deadline": "breached", "boutique__id__exact": lac.pk})
    assert list(listed.context["cl"].result_list) == [late]


def test_agent_does_not_get_the_boutiques_breach_table(client, grid, lac, agent):
    client.force_login(agent)
    assert "boutiques_breaches" not in client.get(reverse(QUEUE)).context


def test_agent_marks_pieces_records_the_fee_and_activates(client, grid, lac, agent):
    MobileNumberFactory.create_batch(2)
    SimCardFactory(boutique=lac)
    file = submitted_file(boutique=lac)
    client.force_login(agent)
    assert _mark_all_received(client, file).status_code == 302
    assert set(file.pieces.values_list("status", flat=True)) == {"received"}
    assert set(file.pieces.values_list("reviewed_by", flat=True)) == {agent.pk}
    client.post(reverse(QUEUE), {"action": "record_connection_fee", "_selected_action": [file.pk]})
    file.refresh_from_db()
    assert file.status == "complete"
    client.post(reverse(QUEUE), {"action": "accept_and_activate", "_selected_action": [file.pk]})
    file.refresh_from_db()
    assert file.status == "active" and file.line.status == "active"
    assert file.line.sim.boutique == lac


def test_r6_2_refusal_asks_for_a_motive_then_sends_the_letter(
    client, grid, lac, agent, django_capture_on_commit_callbacks
):
    file = submitted_file(boutique=lac)
    client.force_login(agent)
    page = client.post(reverse(QUEUE), {"action": "refuse", "_selected_action": [file.pk]})
    assert page.status_code == 200 and "motive" in page.context["form"].fields
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(QUEUE),
            {
                "action": "refuse",
                "_selected_action": [file.pk],
                "motive": "Réseau saturé dans votre zone pour le moment",
            },
        )
    file.refresh_from_db()
    assert file.status == "refused" and file.refusal_letter
    assert len(mail.outbox) == 1


def test_r13_1_boutique_sale_from_the_admin(client, grid, lac, agent):
    MobileNumberFactory()
    SimCardFactory(boutique=lac)
    customer = CustomerFactory(boutique=lac)
    client.force_login(agent)
    url = reverse("admin:subscriptions_subscriptionfile_boutique_sale")
    assert client.get(url).status_code == 200
    offer = Offer.objects.get(code="forfait-liberte-20")
    response = client.post(url, {"customer": customer.pk, "offer": offer.pk})
    file = SubscriptionFile.objects.get(customer=customer)
    assert response.status_code == 302
    assert file.line.status == "active"
    assert file.documents_due_at == file.line.activated_at + timedelta(days=3)


def test_r13_1_agent_cannot_sell_to_another_boutiques_customer(client, grid, lac, sfax, agent):
    customer = CustomerFactory(boutique=sfax)
    client.force_login(agent)
    offer = Offer.objects.get(code="forfait-liberte-20")
    response = client.post(
        reverse("admin:subscriptions_subscriptionfile_boutique_sale"),
        {"customer": customer.pk, "offer": offer.pk},
    )
    assert response.context["form"].has_error("customer", "invalid_choice")
    assert not SubscriptionFile.objects.filter(customer=customer).exists()


def test_customer_page_in_the_admin_shows_the_history_of_files_and_lines(client, alice, agent):
    client.force_login(agent)
    page = client.get(reverse("admin:subscriptions_customer_change", args=[alice.pk]))
    assert "pending → active" in page.text.replace("&gt;", ">")
