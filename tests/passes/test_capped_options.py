"""Capped postpaid lines whose ordinary options pay their monthly fees from the top-up balance
when the grid says so (R10.7): debited once a month in advance, shown paid on the capped
invoice, and the option ended when the balance is short, as passes are (R1.1)."""

from datetime import date
from decimal import Decimal

import time_machine

from billing.invoicing import Period
from catalogue.models import GridParameters
from passes.models import OptionMonthPaid
from passes.tasks import renew_passes
from subscriptions.models import PrepaidMovement
from tests.billing.helpers import issue
from tests.passes.conftest import at, take
from tests.passes.test_capped import capped

NOVEMBER = Period.month(date(2026, 11, 1))


def pay(*when: int) -> int:
    """The beat's renewal job at `when`: the month's option fees of capped lines paid."""
    with time_machine.travel(at(*when), tick=False):
        return renew_passes()


def credit(line) -> Decimal:
    line.prepaid_account.refresh_from_db()
    return line.prepaid_account.credit


def test_r10_7_a_capped_line_s_option_fee_is_paid_from_its_balance_once_and_shown_paid(grid):
    GridParameters.objects.update(capped_balance_pays_options=True)
    line = capped("30")
    take(line, "internet-10go", at(2026, 10, 1, 10, 0))
    assert pay(2026, 10, 1, 10, 5) == 1
    assert pay(2026, 10, 1, 10, 10) == 0  # a rerun debits nothing more
    assert pay(2026, 10, 20, 10, 0) == 0
    assert credit(line) == Decimal("20.000")  # 30 - 10 for October
    invoice = issue(line)
    assert issue(line) is None  # the billing run again: no second invoice, no second debit
    assert invoice.total_excl_tax == Decimal("15.000")  # the cap: the offer's fee only
    (shown,) = invoice.lines.filter(kind="included")
    assert shown.amount_excl_tax == Decimal("0.000")
    assert "Internet" in shown.label and "recharge" in shown.label  # French invoice
    assert "10,000" in shown.label
    assert credit(line) == Decimal("20.000")
    assert OptionMonthPaid.objects.get().movement.job == "option_fees_pay"


def test_r10_7_an_option_taken_during_the_month_pays_its_days(grid):
    GridParameters.objects.update(capped_balance_pays_options=True)
    line = capped("30")
    take(line, "sms-illimites", at(2026, 10, 11, 10, 0))
    pay(2026, 10, 11, 10, 5)
    assert credit(line) == Decimal("27.968")  # 30 - 3.000 × 21 / 31: 11 to 31 October × 21 / 31


def test_r10_7_a_short_balance_ends_the_option_and_the_capped_invoice_never_bills_it(grid):
    GridParameters.objects.update(capped_balance_pays_options=True)
    line = capped("12")
    taken = take(line, "internet-10go", at(2026, 10, 1, 10, 0))
    pay(2026, 10, 1, 10, 5)
    assert pay(2026, 11, 1, 0, 5) == 0  # 2.000 left: November is not paid
    taken.refresh_from_db()
    assert taken.ended_on == date(2026, 10, 31)  # the last day paid
    assert credit(line) == Decimal("2.000")
    november = issue(line, NOVEMBER, date(2026, 12, 1))
    assert november.total_excl_tax == Decimal("15.000")
    assert not november.lines.filter(kind__in=["option", "included"]).exists()
    poor = capped()
    never_paid = take(poor, "internet-10go", at(2026, 10, 3, 10, 0))
    pay(2026, 10, 3, 10, 5)
    never_paid.refresh_from_db()
    assert never_paid.ended_on == date(2026, 10, 3)
    assert issue(poor).total_excl_tax == Decimal("15.000")
    assert PrepaidMovement.objects.filter(kind="fee").count() == 1


def test_r10_7_without_the_grid_s_say_a_capped_line_s_options_are_billed(grid):
    line = capped("30")
    take(line, "internet-10go", at(2026, 10, 1, 10, 0))
    assert pay(2026, 10, 1, 10, 5) == 0
    assert credit(line) == Decimal("30.000")
    assert issue(line).lines.get(kind="option").amount_excl_tax == Decimal("10.000")


def test_r10_7_a_month_paid_from_the_balance_is_never_billed_again(grid):
    GridParameters.objects.update(capped_balance_pays_options=True)
    line = capped("30")
    take(line, "internet-10go", at(2026, 10, 1, 10, 0))
    pay(2026, 10, 1, 10, 5)
    GridParameters.objects.update(capped_balance_pays_options=False)  # the grid changes after
    invoice = issue(line)
    assert invoice.total_excl_tax == Decimal("15.000")
    assert invoice.lines.get(kind="included").amount_excl_tax == Decimal("0.000")
    assert not invoice.lines.filter(kind="option").exists()
