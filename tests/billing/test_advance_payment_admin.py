"""The advance payment's door (R11.2): an agent records it from its request in the admin, which
lifts the credit-control suspension it caused and leaves the others (R13.1); the advance is then
deducted from the next invoice."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from billing.invoicing import Period, invoice_issue
from billing.models import AdvancePaymentRequest, Payment
from subscriptions.models import Line, LineStatusChange, ProvisioningOrder, SuspensionCause
from subscriptions.services.suspensions import line_orders_send
from subscriptions.services.sweeps import credit_control_suspensions_sweep

Cause = SuspensionCause.Cause
S = Line.Status
PAID = "Advance payment received (R11.2)"


def _at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def _open_causes(line: Line) -> list[str]:
    return sorted(
        line.suspension_causes.filter(lifted_at__isnull=True).values_list("cause", flat=True)
    )


@pytest.fixture
def over_limit(alice) -> AdvancePaymentRequest:
    """Alice's account over its limit: an advance of 50 TND asked on 20 October 2026. Her
    advance asked on 20 April (late payment, 10 TND) is still unpaid, so the credit control
    suspends her line for both causes."""
    line = Line.objects.get(contract__customer=alice)
    request = AdvancePaymentRequest.objects.create(
        contract=line.contract, reason="credit_limit", amount="50", requested_on=date(2026, 10, 20)
    )
    with time_machine.travel(_at(2026, 10, 20, 6, 40), tick=False):
        assert credit_control_suspensions_sweep(now=timezone.now())["suspended"] == 2
    assert _open_causes(line) == [Cause.CREDIT_LIMIT, Cause.LATE_ADVANCE]
    request.refresh_from_db()
    return request


def _record_from_the_request(client, request: AdvancePaymentRequest, **form):
    """The agent's path: the request's action opens the payment form with the request chosen."""
    chosen = client.post(
        reverse("admin:billing_advancepaymentrequest_changelist"),
        {"action": "record_advance_payment", ACTION_CHECKBOX_NAME: [request.pk]},
    )
    assert chosen.status_code == 302
    page = client.get(chosen.url)
    assert page.status_code == 200
    initial = page.context["adminform"].form.initial
    assert int(initial["advance_request"]) == request.pk
    assert Decimal(initial["amount"]) == request.amount
    return client.post(
        chosen.url,
        {"advance_request": request.pk, "contract": request.contract_id, **form},
        follow=True,
    )


def test_r11_2_r13_1_agent_records_the_advances_and_each_lifts_only_its_own_cause(
    client, alice, agent, over_limit
):
    line = over_limit.contract.lines.get()
    late = AdvancePaymentRequest.objects.get(contract=line.contract, reason="late_payment")
    client.force_login(agent)
    with time_machine.travel(_at(2026, 10, 21, 10, 0), tick=False):
        listing = client.get(reverse("admin:billing_advancepaymentrequest_changelist"))
        assert f"?advance_request={over_limit.pk}&amp;" in listing.content.decode()
        done = _record_from_the_request(
            client, over_limit, amount="50.000", method="cash", received_on="2026-10-21"
        )
    assert done.redirect_chain[-1][0] == reverse("admin:billing_payment_changelist")
    assert any("la demande est close" in str(m) for m in done.context["messages"])  # French
    over_limit.refresh_from_db()
    payment = over_limit.payment
    assert (payment.amount, payment.is_advance, payment.recorded_by) == (
        Decimal("50.000"),
        True,
        agent,
    )
    assert payment.received_on == date(2026, 10, 21)
    recorded = client.get(reverse("admin:billing_payment_change", args=[payment.pk]))
    request_page = reverse("admin:billing_advancepaymentrequest_change", args=[over_limit.pk])
    assert recorded.status_code == 200 and request_page in recorded.text
    lifted = line.suspension_causes.get(cause=Cause.CREDIT_LIMIT)
    assert (lifted.lifted_by, lifted.lifted_job, lifted.lift_reason) == (agent, "", PAID)
    assert lifted.lifted_at == _at(2026, 10, 21, 10, 0)
    # R13.1: the late advance still suspends the line; nothing is sent to unblock it.
    assert _open_causes(line) == [Cause.LATE_ADVANCE]
    assert not ProvisioningOrder.objects.filter(line=line, action="unblock", reason=PAID).exists()

    # The second door: the payment form itself, with the late request chosen.
    with time_machine.travel(_at(2026, 10, 22, 9, 0), tick=False):
        page = client.get(reverse("admin:billing_payment_add"))
        assert late in page.context["adminform"].form.fields["advance_request"].queryset
        client.post(
            reverse("admin:billing_payment_add"),
            {
                "advance_request": late.pk,
                "amount": "10.000",
                "method": "cheque",
                "reference": "CHQ 77",
                "received_on": "2026-10-22",
            },
        )
        assert _open_causes(line) == []
        assert ProvisioningOrder.objects.get(line=line, action="unblock", reason=PAID)
        line_orders_send(line.pk)  # the network confirms the unblocking
    line.refresh_from_db()
    assert line.status == S.ACTIVE
    restored = LineStatusChange.objects.filter(line=line, to_status=S.ACTIVE).latest("pk")
    assert (restored.from_status, restored.job) == (S.SUSPENDED, "provisioning")
    late.refresh_from_db()
    assert (late.payment.reference, late.payment.contract) == ("CHQ 77", line.contract)

    # R11.2: the 60 TND of advances are deducted from the next invoice, which keeps its totals.
    october = invoice_issue(
        contract_id=line.contract_id,
        period=Period.month(date(2026, 10, 1)),
        issued_on=date(2026, 11, 1),
    )
    assert october.advance_deducted == min(october.total_incl_tax, Decimal("60.000")) > 0


def test_r11_2_another_boutiques_agent_can_neither_see_nor_answer_the_request(
    client, alice, agent, sfax_agent, over_limit
):
    listing = reverse("admin:billing_advancepaymentrequest_changelist")
    client.force_login(agent)  # Tunis Lac: alice's boutique
    assert 'value="record_advance_payment"' in client.get(listing).content.decode()
    client.force_login(sfax_agent)  # Sfax
    assert list(client.get(listing).context["cl"].result_list) == []
    change = reverse("admin:billing_advancepaymentrequest_change", args=[over_limit.pk])
    assert client.get(change).status_code == 404
    chosen = client.post(
        listing, {"action": "record_advance_payment", ACTION_CHECKBOX_NAME: [over_limit.pk]}
    )
    assert chosen.status_code == 302 and "payment/add" not in chosen.url
    with time_machine.travel(_at(2026, 10, 21, 10, 0), tick=False):
        refused = client.post(
            reverse("admin:billing_payment_add"),
            {
                "advance_request": over_limit.pk,
                "amount": "50.000",
                "method": "cash",
                "received_on": "2026-10-21",
            },
        )
    assert refused.status_code == 200
    assert "advance_request" in refused.context["adminform"].form.errors
    assert not Payment.objects.filter(is_advance=True).exists()
    assert Cause.CREDIT_LIMIT in _open_causes(over_limit.contract.lines.get())


def test_r11_2_the_form_refuses_no_amount_a_day_before_the_request_and_a_paid_request(
    client, alice, agent, over_limit
):
    client.force_login(agent)
    add = reverse("admin:billing_payment_add")
    base = {"advance_request": over_limit.pk, "method": "cash"}
    with time_machine.travel(_at(2026, 10, 21, 10, 0), tick=False):
        zero = client.post(add, {**base, "amount": "0.000", "received_on": "2026-10-21"})
        before = client.post(add, {**base, "amount": "50.000", "received_on": "2026-10-19"})
        future = client.post(add, {**base, "amount": "50.000", "received_on": "2026-10-22"})
        assert "amount" in zero.context["adminform"].form.errors
        (refusal,) = before.context["adminform"].form.errors.as_data()["received_on"]
        assert (refusal.code, refusal.params) == ("before_request", {"date": "20/10/2026"})
        assert "received_on" in future.context["adminform"].form.errors
        assert not Payment.objects.filter(is_advance=True).exists()
        client.post(add, {**base, "amount": "50.000", "received_on": "2026-10-21"})
        twice = client.post(add, {**base, "amount": "50.000", "received_on": "2026-10-21"})
        assert "advance_request" in twice.context["adminform"].form.errors
        again = client.post(
            reverse("admin:billing_advancepaymentrequest_changelist"),
            {"action": "record_advance_payment", ACTION_CHECKBOX_NAME: [over_limit.pk]},
        )
        assert "payment/add" not in again.url
    assert Payment.objects.filter(is_advance=True).count() == 1
