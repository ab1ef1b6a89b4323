"""The suspension sweeps at their boundaries: incomplete files (R13.1, R17.1), overdue invoices
(R10.4), credit control (R11.2) and termination by right (R17.5)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from billing.credit import advance_payment_record
from billing.invoicing import Period, invoice_issue
from billing.models import AdvancePaymentRequest, Charge
from billing.payments import payment_record
from catalogue.models import Offer
from subscriptions.lifecycle.records import line_transition
from subscriptions.models import (
    Line,
    LineStatusChange,
    MobileNumber,
    ProvisioningOrder,
    SubscriptionFile,
    SuspensionCause,
)
from subscriptions.services.records import line_activate
from subscriptions.services.suspensions import line_orders_send, suspension_extend, suspension_open
from subscriptions.services.sweeps import (
    credit_control_suspensions_sweep,
    incomplete_files_sweep,
    overdue_invoices_sweep,
    terminations_sweep,
)
from tests.factories import ContractFactory, LineFactory, SimCardFactory

Cause = SuspensionCause.Cause
S = Line.Status


def _at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def _open_causes(line: Line) -> list[str]:
    return sorted(
        line.suspension_causes.filter(lifted_at__isnull=True).values_list("cause", flat=True)
    )


def _status(line: Line) -> str:
    line.refresh_from_db()
    return line.status


def _network_confirms(line: Line) -> None:
    line_orders_send(line.pk)


@pytest.fixture
def boutique_sale_line(alice) -> Line:
    """A line sold in the boutique on 2 June 2026 at 10:00 whose pieces are due 3 days later."""
    activated = _at(2026, 6, 2, 10, 0)
    line = LineFactory(
        contract=ContractFactory(customer=alice), offer=Offer.objects.get(code="forfait-pro-45")
    )
    line_activate(line=line, sim=SimCardFactory(), job="test", at=activated)
    SubscriptionFile.objects.create(
        applicant=alice.user,
        customer=alice,
        status=SubscriptionFile.Status.ACTIVE,
        channel=SubscriptionFile.Channel.BOUTIQUE,
        line=line,
        documents_due_at=activated + timedelta(days=3),
    )
    return line


def test_r13_1_incomplete_file_suspends_at_3_days_not_at_2_days_23_hours(boutique_sale_line):
    line = boutique_sale_line
    with time_machine.travel(_at(2026, 6, 5, 9, 0), tick=False):
        assert incomplete_files_sweep(now=timezone.now())["suspended"] == 0
    assert _status(line) == S.ACTIVE
    with time_machine.travel(_at(2026, 6, 5, 10, 0), tick=False):
        assert incomplete_files_sweep(now=timezone.now())["suspended"] == 1
        assert incomplete_files_sweep(now=timezone.now())["suspended"] == 0  # run twice
    assert _status(line) == S.SUSPENDED
    assert _open_causes(line) == [Cause.INCOMPLETE_FILE]
    change = LineStatusChange.objects.filter(line=line, to_status=S.SUSPENDED).get()
    assert change.job == "sweep: incomplete files" and change.actor is None


def test_r13_1_completed_file_lifts_the_cause_and_the_network_restores(boutique_sale_line):
    line = boutique_sale_line
    with time_machine.travel(_at(2026, 6, 5, 10, 0), tick=False):
        incomplete_files_sweep(now=timezone.now())
    SubscriptionFile.objects.filter(line=line).update(completed_at=_at(2026, 6, 6, 9, 0))
    with time_machine.travel(_at(2026, 6, 6, 10, 0), tick=False):
        assert incomplete_files_sweep(now=timezone.now())["lifted"] == 1
        assert _status(line) == S.SUSPENDED  # until the network confirms
        _network_confirms(line)
    assert _status(line) == S.ACTIVE
    assert _open_causes(line) == []


def test_r17_1_file_still_incomplete_after_the_grid_days_terminates(boutique_sale_line):
    line = boutique_sale_line
    with time_machine.travel(_at(2026, 6, 5, 10, 0), tick=False):
        incomplete_files_sweep(now=timezone.now())
    # The grid gives 30 days of suspension before the termination (R17.1).
    with time_machine.travel(_at(2026, 7, 5, 9, 0), tick=False):
        assert incomplete_files_sweep(now=timezone.now())["terminated"] == 0
    with time_machine.travel(_at(2026, 7, 5, 10, 0), tick=False):
        assert incomplete_files_sweep(now=timezone.now())["terminated"] == 1
        assert incomplete_files_sweep(now=timezone.now())["terminated"] == 0
    assert _status(line) == S.TERMINATED
    assert _open_causes(line) == []
    line.number.refresh_from_db()
    assert line.number.status == MobileNumber.Status.QUARANTINE  # R17.3
    assert ProvisioningOrder.objects.filter(
        line=line, action=ProvisioningOrder.Action.RELEASE_NUMBER
    ).exists()


@pytest.fixture
def april_invoice(alice):
    """Alice's April invoice, issued on 1 May 2026, due on 16 May, unpaid; she also has a
    prepaid line on another contract."""
    contract = alice.contracts.get()
    invoice = invoice_issue(
        contract_id=contract.pk, period=Period.month(date(2026, 4, 1)), issued_on=date(2026, 5, 1)
    )
    assert invoice.due_on == date(2026, 5, 16)
    prepaid = LineFactory(
        contract=ContractFactory(customer=alice), offer=Offer.objects.get(code="carte-libre")
    )
    line_activate(line=prepaid, sim=SimCardFactory(), job="test", at=_at(2026, 4, 2, 9, 0))
    return invoice


def test_r10_4_unpaid_invoice_suspends_every_line_of_the_customer_after_the_grid_delay(
    alice, april_invoice
):
    lines = list(Line.objects.filter(contract__customer=alice))
    assert {line.offer.kind for line in lines} == {"postpaid", "prepaid"}
    # Due on 16 May, plus the grid's 10 days: still unpaid on the 27th suspends.
    with time_machine.travel(_at(2026, 5, 26, 23, 0), tick=False):
        assert overdue_invoices_sweep(now=timezone.now())["suspended"] == 0
    with time_machine.travel(_at(2026, 5, 27, 6, 30), tick=False):
        assert overdue_invoices_sweep(now=timezone.now())["suspended"] == 2
        assert overdue_invoices_sweep(now=timezone.now())["suspended"] == 0
    assert [_status(line) for line in lines] == [S.SUSPENDED, S.SUSPENDED]
    assert all(_open_causes(line) == [Cause.LATE_PAYMENT] for line in lines)


def test_r10_4_payment_in_full_lifts_the_cause_on_all_lines_at_once(
    alice, april_invoice, agent, django_capture_on_commit_callbacks
):
    lines = list(Line.objects.filter(contract__customer=alice))
    with time_machine.travel(_at(2026, 5, 27, 6, 30), tick=False):
        overdue_invoices_sweep(now=timezone.now())
    with time_machine.travel(_at(2026, 5, 28, 11, 0), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            payment_record(
                contract=april_invoice.contract,
                amount=april_invoice.total_incl_tax - Decimal("1.000"),
                method="cash",
                actor=agent,
            )
        assert all(_open_causes(line) == [Cause.LATE_PAYMENT] for line in lines)  # not in full
        with django_capture_on_commit_callbacks(execute=True):
            payment_record(
                contract=april_invoice.contract, amount="1.000", method="cash", actor=agent
            )
    lifted = SuspensionCause.objects.filter(line__in=lines, lifted_job="sweep: overdue invoices")
    assert lifted.count() == 2
    assert len({row.lifted_at for row in lifted}) == 1  # at once, in one transaction
    assert [_status(line) for line in lines] == [S.ACTIVE, S.ACTIVE]


def test_r10_4_a_line_suspended_for_fraud_stays_suspended_when_the_invoice_is_paid(
    alice, april_invoice, agent, supervisor
):
    line = Line.objects.filter(contract__customer=alice).first()
    with time_machine.travel(_at(2026, 5, 27, 6, 30), tick=False):
        overdue_invoices_sweep(now=timezone.now())
        suspension_open(line=line, cause=Cause.FRAUD, reason="Spam SMS", actor=supervisor)
        payment_record(
            contract=april_invoice.contract,
            amount=april_invoice.total_incl_tax,
            method="cash",
            actor=agent,
        )
        assert overdue_invoices_sweep(now=timezone.now())["lifted"] == 2
        _network_confirms(line)
    assert _status(line) == S.SUSPENDED
    assert _open_causes(line) == [Cause.FRAUD]


def test_r11_2_credit_limit_exceeded_suspends_and_the_advance_paid_lifts(alice, agent):
    line = Line.objects.get(contract__customer=alice)
    request = AdvancePaymentRequest.objects.create(
        contract=line.contract, reason="credit_limit", amount="50", requested_on=date(2026, 4, 25)
    )
    with time_machine.travel(_at(2026, 4, 25, 6, 40), tick=False):
        assert credit_control_suspensions_sweep(now=timezone.now())["suspended"] == 1
        assert _open_causes(line) == [Cause.CREDIT_LIMIT]
        advance_payment_record(request=request, amount="50", method="cash", actor=agent)
        # The agent who records the advance lifts the cause at once; the sweep has nothing left.
        assert line.suspension_causes.get(cause=Cause.CREDIT_LIMIT).lifted_by == agent
        assert credit_control_suspensions_sweep(now=timezone.now())["lifted"] == 0
        _network_confirms(line)
    assert _status(line) == S.ACTIVE


def test_r11_2_advance_payment_late_after_the_days_to_pay_suspends(alice):
    # Alice was asked an advance on 20 April (late payment); 15 days to pay it (grid, R9.3).
    line = Line.objects.get(contract__customer=alice)
    with time_machine.travel(_at(2026, 5, 5, 23, 0), tick=False):
        assert credit_control_suspensions_sweep(now=timezone.now())["suspended"] == 0
    with time_machine.travel(_at(2026, 5, 6, 6, 40), tick=False):
        assert credit_control_suspensions_sweep(now=timezone.now())["suspended"] == 1
    assert _open_causes(line) == [Cause.LATE_ADVANCE]


@pytest.fixture
def fraud_line(alice, supervisor) -> Line:
    """Alice's postpaid line (12 months from 2 March 2026) suspended for fraud on 1 June."""
    line = Line.objects.get(contract__customer=alice)
    with time_machine.travel(_at(2026, 6, 1, 9, 0), tick=False):
        suspension_open(line=line, cause=Cause.FRAUD, reason="Unlawful use", actor=supervisor)
    return line


def test_r17_5_suspended_beyond_the_grid_limit_is_terminated_with_the_remaining_fees(fraud_line):
    line = fraud_line
    assert line.commitment_ends_on == date(2027, 3, 1)
    with time_machine.travel(_at(2026, 7, 31, 8, 59), tick=False):  # 60 days less a minute
        assert terminations_sweep(now=timezone.now())["terminated"] == 0
    with time_machine.travel(_at(2026, 7, 31, 9, 0), tick=False):
        assert terminations_sweep(now=timezone.now())["terminated"] == 1
        assert terminations_sweep(now=timezone.now())["terminated"] == 0
    assert _status(line) == S.TERMINATED
    charge = Charge.objects.get(line=line, fee_kind="remaining_commitment")
    # August 2026 to February 2027 (7 months) and 1 day of March at 20.000 TND a month.
    assert charge.amount == Decimal("140.645")
    assert charge.charged_on == date(2026, 7, 31)
    change = LineStatusChange.objects.filter(line=line, to_status=S.TERMINATED).get()
    assert change.job == "sweep: termination by right"


def test_r17_5_extra_time_granted_postpones_the_termination(fraud_line, supervisor):
    cause = fraud_line.suspension_causes.get(cause=Cause.FRAUD)
    suspension_extend(cause=cause, until=date(2026, 8, 15), actor=supervisor, reason="Inquiry")
    with time_machine.travel(_at(2026, 8, 15, 9, 0), tick=False):
        assert terminations_sweep(now=timezone.now())["terminated"] == 0
    with time_machine.travel(_at(2026, 8, 16, 4, 0), tick=False):
        assert terminations_sweep(now=timezone.now())["terminated"] == 1
    recorded = LineStatusChange.objects.filter(line=fraud_line, actor=supervisor).last()
    assert "Inquiry" in recorded.reason and "15/08/2026" in recorded.reason


def test_r17_5_a_lost_sim_is_not_terminated_by_right(alice):
    line = Line.objects.get(contract__customer=alice)
    with time_machine.travel(_at(2026, 6, 1, 9, 0), tick=False):
        suspension_open(line=line, cause=Cause.LOST_SIM, reason="Stolen", job="portal")
    with time_machine.travel(_at(2026, 12, 1, 9, 0), tick=False):
        assert terminations_sweep(now=timezone.now())["terminated"] == 0


def test_sweep_command_runs_a_sweep_by_name(boutique_sale_line, capsys):
    with time_machine.travel(_at(2026, 6, 5, 10, 0), tick=False):
        call_command("sweep", "incomplete_files")
    assert "suspended: 1" in capsys.readouterr().out
    assert _status(boutique_sale_line) == S.SUSPENDED


def test_r13_1_restoration_returns_a_prepaid_line_to_its_period(alice, supervisor):
    prepaid = LineFactory(
        contract=ContractFactory(customer=alice), offer=Offer.objects.get(code="carte-libre")
    )
    line_activate(line=prepaid, sim=SimCardFactory(), job="test")
    line_transition(line=prepaid, to=S.GRACE, job="test", reason="Validity ended")
    suspension_open(line=prepaid, cause=Cause.FRAUD, reason="x", actor=supervisor)
    from subscriptions.services.suspensions import suspension_lift

    suspension_lift(line=prepaid, cause=Cause.FRAUD, reason="y", actor=supervisor)
    _network_confirms(prepaid)
    assert _status(prepaid) == S.GRACE
