"""Termination by the operator (R17.1, R17.2, R17.5): a supervisor ends a line for a listed cause,
recorded with who and why; the customer is told once; before the end of the minimum period the
remaining monthly fees are due at once."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from billing.models import Charge, Payment
from subscriptions.models import Line, MobileNumber
from terminations.models import OperatorTermination
from terminations.operator import OperatorTerminationRefused, operator_termination_decide

Cause = OperatorTermination.Cause


def travel(day: date):
    return time_machine.travel(
        timezone.make_aware(datetime(day.year, day.month, day.day, 9)), tick=False
    )


def test_r17_1_r17_5_a_supervisor_ends_a_line_and_the_remaining_fees_are_due_at_once(
    alice, supervisor, django_capture_on_commit_callbacks
):
    line = Line.objects.get(contract__customer=alice)
    mail.outbox.clear()
    with travel(date(2026, 6, 15)), django_capture_on_commit_callbacks(execute=True):
        termination = operator_termination_decide(
            line=line, cause=Cause.FALSE_DECLARATION, reason="CIN falsifiée", actor=supervisor
        )
    line.refresh_from_db()
    assert line.status == Line.Status.TERMINATED
    assert line.number.status == MobileNumber.Status.QUARANTINE  # R17.3
    change = line.status_changes.get(to_status=Line.Status.TERMINATED)
    assert change.actor == supervisor
    assert "CIN falsifiée" in change.reason
    # R17.5: the final invoice bills June to the 15th; 16 to 30 June (15/30), then July 2026
    # to 1 March 2027 at 20.000 a month (8 months and 1/31) are due at once.
    assert termination.fees_owed == Decimal("170.645")
    charge = Charge.objects.get(contract=line.contract, fee_kind="remaining_commitment")
    assert charge.amount == termination.fees_owed
    # The charge prints the computation that gives its amount.
    assert charge.label.endswith(
        ": 15 jours / 30 × 20,000 TND + 8 mois × 20,000 TND + 1 jour / 31 × 20,000 TND"
    ), charge.label
    subscription = termination.final_invoice.lines.get(kind="subscription")
    assert subscription.amount_excl_tax == Decimal("10.000")  # 1-15 June: 15/30 x 20.000
    assert charge.invoice == termination.final_invoice  # R10.2: on the final invoice, today
    assert termination.final_invoice.issued_on == date(2026, 6, 15)
    (message,) = [m for m in mail.outbox if line.number.msisdn in m.subject]
    assert message.to == ["alice@example.tn"]
    termination.refresh_from_db()
    assert termination.notice_sent_at is not None


def test_r17_2_licence_withdrawn_refunds_unused_advances_and_charges_no_fees(alice, supervisor):
    line = Line.objects.get(contract__customer=alice)
    Payment.objects.create(
        contract=line.contract,
        amount=Decimal("25.000"),
        method="cash",
        received_on=date(2026, 6, 1),
        recorded_by=supervisor,
        is_advance=True,
    )
    with travel(date(2026, 6, 15)):
        termination = operator_termination_decide(
            line=line, cause=Cause.LICENCE_WITHDRAWN, reason="Licence retirée", actor=supervisor
        )
    assert termination.fees_owed == 0
    assert termination.advances_refunded == Decimal("25.000")


def test_r17_1_only_a_supervisor_and_only_a_live_line(alice, agent, supervisor):
    line = Line.objects.get(contract__customer=alice)
    with pytest.raises(OperatorTerminationRefused):
        operator_termination_decide(line=line, cause=Cause.BREACH, reason="x", actor=agent)
    operator_termination_decide(line=line, cause=Cause.BREACH, reason="Abus", actor=supervisor)
    with pytest.raises(OperatorTerminationRefused):
        operator_termination_decide(line=line, cause=Cause.BREACH, reason="Abus", actor=supervisor)


def test_r17_1_supervisor_decides_in_the_admin(client, alice, supervisor):
    line = Line.objects.get(contract__customer=alice)
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:terminations_operatortermination_add"),
        {"line": line.pk, "cause": Cause.FRAUD, "reason": "SIM box"},
    )
    assert response.status_code == 302
    assert OperatorTermination.objects.get(line=line).decided_by == supervisor
    assert Line.objects.get(pk=line.pk).status == Line.Status.TERMINATED
