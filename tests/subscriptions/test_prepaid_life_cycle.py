"""The prepaid life cycle, day by day at its boundaries (R2.7 to R2.9, R17.1, R17.3)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from subscriptions.models import (
    Line,
    LineStatusChange,
    MobileNumber,
    PrepaidMovement,
    ProvisioningOrder,
    SuspensionCause,
    TopUp,
)
from subscriptions.services.prepaid import JOB, prepaid_sweep, top_up_record
from subscriptions.services.suspensions import suspension_lift, suspension_open
from tests.subscriptions.prepaid_lines import prepaid_line

S = Line.Status
TOPPED_UP_ON = date(2026, 5, 1)
# R2.7: 10.000 TND open 60 days in the demo grid: 1 May to 29 June included.
VALID_UNTIL = date(2026, 6, 29)
GRACE_UNTIL = VALID_UNTIL + timedelta(days=90)  # R2.8
PRESERVATION_UNTIL = GRACE_UNTIL + timedelta(days=90)  # R2.9


@pytest.fixture
def line(grid, lac) -> Line:
    line = prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 30, 9))
    with time_machine.travel(datetime(2026, 5, 1, 10), tick=False):
        top_up_record(
            line=line, channel=TopUp.Channel.BANKA, amount=Decimal("10"), reference="BK-1", job="t"
        )
    return line


def sweep_on(day: date):
    with time_machine.travel(
        datetime.combine(day, datetime.min.time()).replace(hour=3), tick=False
    ):
        return prepaid_sweep(today=day)


def status_of(line: Line) -> str:
    line.refresh_from_db()
    return line.status


def test_r2_7_top_up_opens_the_validity_of_the_grid_table(line):
    account = line.prepaid_account
    assert account.valid_until == VALID_UNTIL
    assert account.credit == Decimal("10.000")


def test_r2_8_grace_begins_the_day_after_the_last_day_of_validity(line):
    sweep_on(VALID_UNTIL)
    assert status_of(line) == S.ACTIVE
    assert sweep_on(VALID_UNTIL + timedelta(days=1)).grace == 1
    assert status_of(line) == S.GRACE
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.grace_until == GRACE_UNTIL
    change = LineStatusChange.objects.filter(line=line).order_by("pk").last()
    assert (change.from_status, change.to_status, change.job) == (S.ACTIVE, S.GRACE, JOB)
    # R2.8: the balances are kept in grace.
    assert line.prepaid_account.credit == Decimal("10.000")


def test_r2_9_preservation_after_90_days_of_grace_forfeits_the_balances(
    line, django_capture_on_commit_callbacks
):
    sweep_on(VALID_UNTIL + timedelta(days=1))
    sweep_on(GRACE_UNTIL)
    assert status_of(line) == S.GRACE
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_on(GRACE_UNTIL + timedelta(days=1)).preservation == 1
    assert status_of(line) == S.PRESERVATION
    account = line.prepaid_account
    account.refresh_from_db()
    assert (account.credit, account.bonus) == (0, 0)
    assert account.preservation_until == PRESERVATION_UNTIL
    forfeit = PrepaidMovement.objects.get(account=account, kind=PrepaidMovement.Kind.FORFEIT)
    assert (forfeit.credit_change, forfeit.job) == (Decimal("-10.000"), JOB)
    order = ProvisioningOrder.objects.get(line=line)
    assert order.action == ProvisioningOrder.Action.RECEIVE_ONLY
    assert order.status == ProvisioningOrder.Status.CONFIRMED  # the logging network applied it


def test_r2_9_r17_3_number_lost_and_quarantined_after_preservation(line):
    sweep_on(PRESERVATION_UNTIL + timedelta(days=1))  # a late run walks every period
    assert status_of(line) == S.TERMINATED
    moves = list(
        LineStatusChange.objects.filter(line=line, job=JOB).values_list("to_status", flat=True)
    )
    assert moves == [S.GRACE, S.PRESERVATION, S.TERMINATED]


def test_r17_3_termination_day_by_day_releases_the_number_to_quarantine(line):
    sweep_on(VALID_UNTIL + timedelta(days=1))
    sweep_on(GRACE_UNTIL + timedelta(days=1))
    sweep_on(PRESERVATION_UNTIL)
    assert status_of(line) == S.PRESERVATION
    ended = PRESERVATION_UNTIL + timedelta(days=1)
    assert sweep_on(ended).terminated == 1
    assert status_of(line) == S.TERMINATED
    number = MobileNumber.objects.get(pk=line.number_id)
    assert number.status == MobileNumber.Status.QUARANTINE
    assert number.quarantine_until == ended + timedelta(days=180)
    assert ProvisioningOrder.objects.filter(
        line=line, action=ProvisioningOrder.Action.RELEASE_NUMBER
    ).exists()
    line.contract.refresh_from_db()
    assert line.contract.ended_on == ended  # R17.1: the contract ends with its only line


def test_r2_8_sweep_twice_moves_a_line_once(line):
    day = VALID_UNTIL + timedelta(days=1)
    assert sweep_on(day).grace == 1
    assert sweep_on(day).grace == 0
    assert LineStatusChange.objects.filter(line=line, to_status=S.GRACE).count() == 1


def test_r2_7_postpaid_lines_are_not_swept(alice):
    sweep_on(date(2027, 12, 1))
    assert Line.objects.get(contract__customer=alice).status == S.ACTIVE


def test_r2_8_prepaid_sweep_command_and_task_run_the_same_sweep(line, capsys):
    from subscriptions.tasks import run_prepaid_sweep

    day = VALID_UNTIL + timedelta(days=1)
    with time_machine.travel(datetime.combine(day, datetime.min.time()).replace(hour=3)):
        call_command("prepaid_sweep")
        assert "grace: 1" in capsys.readouterr().out
        nothing_left = {"restored": 0, "grace": 0, "preservation": 0, "terminated": 0}
        assert run_prepaid_sweep.apply().get() == nothing_left
    assert status_of(line) == S.GRACE


def _top_up_then_lift(line, cause, day, reference, agent, django_capture_on_commit_callbacks):
    """A 5 TND Light top-up made on `day` while `cause` suspends the line, then the cause lifted."""
    with time_machine.travel(datetime.combine(day, datetime.min.time()).replace(hour=9)):
        light = TopUp.Channel.LIGHT
        top_up_record(line=line, channel=light, amount=Decimal("5"), reference=reference, job="t")
        with django_capture_on_commit_callbacks(execute=True):
            suspension_lift(line=line, cause=cause, reason="Checked", actor=agent)


def test_r2_8_a_top_up_made_while_suspended_in_grace_restores_the_validity(
    line, agent, django_capture_on_commit_callbacks
):
    sweep_on(VALID_UNTIL + timedelta(days=1))
    assert status_of(line) == S.GRACE
    fraud = SuspensionCause.Cause.FRAUD
    with django_capture_on_commit_callbacks(execute=True):
        suspension_open(line=line, cause=fraud, reason="Spam", actor=agent)
    assert status_of(line) == S.SUSPENDED
    topped_up_on = VALID_UNTIL + timedelta(days=10)
    _top_up_then_lift(line, fraud, topped_up_on, "L-1", agent, django_capture_on_commit_callbacks)
    assert status_of(line) == S.GRACE  # where the suspension found it (R13.1)
    assert sweep_on(topped_up_on).restored == 1
    assert status_of(line) == S.ACTIVE
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("15.000")  # R2.8: balances kept
    assert line.prepaid_account.grace_until is None


def _suspended_in_preservation(line, agent, django_capture_on_commit_callbacks):
    sweep_on(VALID_UNTIL + timedelta(days=1))
    sweep_on(GRACE_UNTIL + timedelta(days=1))
    assert status_of(line) == S.PRESERVATION
    fraud = SuspensionCause.Cause.FRAUD
    with django_capture_on_commit_callbacks(execute=True):
        suspension_open(line=line, cause=fraud, reason="Spam", actor=agent)
    return fraud


def test_r2_9_back_in_preservation_after_a_suspension_the_line_receives_only_again(
    line, agent, django_capture_on_commit_callbacks
):
    fraud = _suspended_in_preservation(line, agent, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        suspension_lift(line=line, cause=fraud, reason="Checked", actor=agent)
    assert status_of(line) == S.PRESERVATION
    orders = ProvisioningOrder.objects.filter(line=line).order_by("pk")
    assert [order.action for order in orders][-2:] == [
        ProvisioningOrder.Action.UNBLOCK,
        ProvisioningOrder.Action.RECEIVE_ONLY,
    ]


def test_r2_9_topped_up_while_suspended_in_preservation_calls_again_once_unblocked(
    line, agent, django_capture_on_commit_callbacks
):
    fraud = _suspended_in_preservation(line, agent, django_capture_on_commit_callbacks)
    topped_up_on = GRACE_UNTIL + timedelta(days=5)
    _top_up_then_lift(line, fraud, topped_up_on, "L-2", agent, django_capture_on_commit_callbacks)
    assert status_of(line) == S.ACTIVE  # shown active by the network's confirmation
    assert line.status_changes.order_by("pk").last().job == "provisioning"
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.preservation_until is None
    assert sweep_on(topped_up_on + timedelta(days=1)).restored == 0
