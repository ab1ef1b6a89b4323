"""Dates are Africa/Tunis (UTC+1, no summer time): every date taken from a timestamp is its
local date, so an event at 00:30 belongs to that day and not to the UTC day before (R9.1, R9.3,
R9.5, R10.2). Each test picks its instant with time-machine, at 00:30 or 23:30 local."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from billing.invoicing import Period, accounts_to_bill
from billing.models import Charge, Invoice
from billing.services import billing_run_start, invoice_copy_request
from billing.tasks import start_monthly_billing
from subscriptions.lifecycle.records import line_transition
from terminations.ending import line_end
from tests.billing.helpers import OCTOBER, account, issue, usage_import

NOVEMBER = Period.month(date(2026, 11, 1))


@pytest.fixture(autouse=True)
def clock():
    """The instant of the tests that do not choose theirs (nothing here reads the real clock)."""
    with time_machine.travel(timezone.make_aware(datetime(2026, 11, 1, 2, 0)), tick=False):
        yield


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))


def subscription_amount(invoice: Invoice) -> Decimal:
    return invoice.lines.get(kind="subscription").amount_excl_tax


def test_r9_1_activation_at_0030_local_is_billed_from_that_day(grid):
    line = account(activated=datetime(2026, 10, 11, 0, 30))  # 2026-10-10 23:30 UTC
    subscription = issue(line).lines.get(kind="subscription")
    assert "11/10" in subscription.label
    assert subscription.amount_excl_tax == Decimal("13.548")  # 20 x 21 / 31


def test_r9_1_activation_at_2330_local_is_billed_from_that_day(grid):
    line = account(activated=datetime(2026, 10, 11, 23, 30))
    assert subscription_amount(issue(line)) == Decimal("13.548")  # 20 x 21 / 31


def test_r9_1_activation_on_the_1st_at_0030_local_is_not_billed_in_the_month_before(grid):
    line = account(activated=datetime(2026, 11, 1, 0, 30))  # 2026-10-31 23:30 UTC
    assert line.contract_id not in set(accounts_to_bill(OCTOBER))
    assert issue(line) is None
    assert subscription_amount(issue(line, NOVEMBER, date(2026, 12, 1))) == Decimal("20.000")


def test_r9_1_termination_at_0030_local_ends_the_fee_that_day(grid, agent):
    line = account()
    with time_machine.travel(local(2026, 10, 10, 0, 30), tick=False):
        line_transition(line=line, to="terminated", actor=agent, reason="test")
    assert subscription_amount(issue(line)) == Decimal("6.452")  # 20 x 10 / 31


def test_r9_1_termination_at_2330_local_ends_the_fee_that_day(grid, agent):
    line = account()
    with time_machine.travel(local(2026, 10, 10, 23, 30), tick=False):
        line_transition(line=line, to="terminated", actor=agent, reason="test")
    assert subscription_amount(issue(line)) == Decimal("6.452")  # 20 x 10 / 31


def test_r10_2_a_line_ended_by_a_sweep_at_0030_local_pays_its_fee_to_that_day(grid):
    line = account()
    with time_machine.travel(local(2026, 11, 15, 0, 30), tick=False):
        ended = line_end(
            line=line,
            on=date(2026, 11, 15),
            reason="test",
            fees_owed=Decimal(0),
            fees_label="",
            sim_returned=True,
            job="test",
        )
    final = ended.final_invoice
    assert final.issued_on == date(2026, 11, 15)
    assert subscription_amount(final) == Decimal("10.000")  # 20 x 15 / 30


def test_r9_1_usage_near_midnight_falls_in_its_local_month(grid):
    line = account()
    msisdn = line.number.msisdn
    usage_import(
        name="cdr.csv",
        content=(
            "msisdn,started_at,kind,destination,quantity\n"
            f"{msisdn},2026-10-31T23:30:00,international,maghreb,10\n"
            f"{msisdn},2026-11-01T00:30:00,international,maghreb,4\n"
        ).encode(),
    )
    october = issue(line).lines.get(kind="usage")
    assert october.quantity == Decimal("10")
    november = issue(line, NOVEMBER, date(2026, 12, 1)).lines.get(kind="usage")
    assert november.quantity == Decimal("4")


def test_r9_5_a_duplicate_asked_at_2330_local_is_charged_that_day(grid):
    line = account()
    september = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    with time_machine.travel(local(2026, 10, 31, 23, 30), tick=False):
        charge = invoice_copy_request(invoice=september, detailed=False)
    assert charge.charged_on == date(2026, 10, 31)


def test_r9_5_a_duplicate_asked_at_0030_local_is_charged_that_day(grid):
    line = account()
    september = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    with time_machine.travel(local(2026, 11, 1, 0, 30), tick=False):
        charge = invoice_copy_request(invoice=september, detailed=False)
    assert charge.charged_on == date(2026, 11, 1)


def test_r9_3_the_monthly_run_at_0030_local_on_the_1st_bills_the_month_just_ended(
    grid, django_capture_on_commit_callbacks
):
    line = account()
    with (
        time_machine.travel(local(2026, 11, 1, 0, 30), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        start_monthly_billing()
    invoice = Invoice.objects.get(contract=line.contract)
    assert (invoice.period_start, invoice.issued_on) == (date(2026, 10, 1), date(2026, 11, 1))
    assert invoice.due_on == date(2026, 11, 16)  # R9.3: issue date + 15 days


def test_r9_5_charges_made_around_midnight_go_to_the_invoice_of_their_local_day(grid):
    line = account()
    september = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    with time_machine.travel(local(2026, 10, 31, 23, 30), tick=False):
        late = invoice_copy_request(invoice=september, detailed=False)
    with time_machine.travel(local(2026, 11, 1, 0, 30), tick=False):
        early = invoice_copy_request(invoice=september, detailed=True)
    october = issue(line)
    november = issue(line, NOVEMBER, date(2026, 12, 1))
    assert list(Charge.objects.filter(invoice=october)) == [late]
    assert list(Charge.objects.filter(invoice=november)) == [early]


def run_the_month(period_start: date, at: datetime, capture) -> None:
    with time_machine.travel(at, tick=False), capture(execute=True):
        billing_run_start(period=Period.month(period_start))


def test_r9_5_a_duplicate_asked_on_the_1st_before_or_after_the_run_is_billed_once_next_month(
    grid, django_capture_on_commit_callbacks
):
    line = account()
    september = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    asked = {}
    for name, at in [
        ("eve at 23:30", local(2026, 10, 31, 23, 30)),
        ("1st at 00:30, before the run", local(2026, 11, 1, 0, 30)),
    ]:
        with time_machine.travel(at, tick=False):
            asked[name] = invoice_copy_request(invoice=september, detailed=False)
    run_the_month(date(2026, 10, 1), local(2026, 11, 1, 2, 0), django_capture_on_commit_callbacks)
    with time_machine.travel(local(2026, 11, 1, 10, 0), tick=False):
        asked["1st after the run"] = invoice_copy_request(invoice=september, detailed=True)
    for _ in range(2):  # a rerun of each month bills nothing twice
        run_the_month(
            date(2026, 10, 1), local(2026, 11, 1, 11, 0), django_capture_on_commit_callbacks
        )
        run_the_month(
            date(2026, 11, 1), local(2026, 12, 1, 2, 0), django_capture_on_commit_callbacks
        )
    billed = {name: Charge.objects.get(pk=charge.pk).invoice for name, charge in asked.items()}
    assert {name: invoice.period_start for name, invoice in billed.items()} == {
        "eve at 23:30": date(2026, 10, 1),
        "1st at 00:30, before the run": date(2026, 11, 1),
        "1st after the run": date(2026, 11, 1),
    }
    assert Invoice.objects.filter(contract=line.contract).count() == 3
    assert Charge.objects.filter(invoice__isnull=True).count() == 0
