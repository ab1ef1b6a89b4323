"""Capped postpaid lines (R1.1, R10.7): the invoice stays at the offer's monthly fee, usage
beyond the allowances is paid from the top-up balance, and when the grid says so passes are
paid from that balance or refused, never put on the capped invoice."""

from datetime import datetime
from decimal import Decimal

import pytest
import time_machine

from billing.models import Charge
from catalogue.models import GridParameters
from passes.selectors import consumption_so_far
from passes.services import passes_renew
from subscriptions.models import TopUp
from subscriptions.services.prepaid import top_up_record
from subscriptions.services.records import OptionRefused
from tests.billing.helpers import account, csv_of, issue, usage_import
from tests.passes.conftest import at, postpaid, take


def capped(balance: str = ""):
    line = account(offer_code="plafonne-15", activated=datetime(2026, 9, 1, 9, 0))
    if balance:
        top_up_record(
            line=line,
            channel=TopUp.Channel.BANKA,
            amount=Decimal(balance),
            reference=f"C{line.pk}",
            job="test",
        )
    return line


def usage(line) -> None:
    n = line.number.msisdn
    usage_import(
        name=f"cdr-{line.pk}.csv",
        content=csv_of(
            f"{n},2026-10-05T09:00:00,voice,+21620000000,130",  # capped: 90 included, 40 beyond
            f"{n},2026-10-05T11:00:00,sms,+21620000000,60",  # capped: 50 included, 10 beyond
        ),
    )


def test_r1_1_a_capped_invoice_stays_at_its_monthly_fee_whatever_the_usage(grid):
    line, uncapped = capped(), postpaid()
    usage(line)
    usage(uncapped)
    invoice = issue(line)
    assert invoice.total_excl_tax == Decimal("15.000")  # the cap: the offer's monthly fee
    assert not invoice.lines.filter(kind="usage").exists()
    assert issue(uncapped).lines.get(kind="usage").quantity == Decimal("10.000")  # 130 - 120


def test_r10_7_a_capped_line_s_usage_beyond_its_allowances_is_shown_paid_from_the_balance(grid):
    line = capped("20")
    usage(line)
    invoice = issue(line)
    shown = {
        row.quantity: (row.amount_excl_tax, row.label)
        for row in invoice.lines.filter(kind="included")
    }
    assert set(shown) == {Decimal("40.000"), Decimal("10.000")}
    assert all(amount == Decimal("0.000") for amount, _label in shown.values())
    assert all("recharge" in label for _amount, label in shown.values())  # French invoice
    with time_machine.travel(at(2026, 10, 20, 12, 0), tick=False):
        so_far = consumption_so_far(line)
    assert so_far.from_balance
    assert so_far.by_kind["voice"].charged == Decimal("40.000")
    assert so_far.amount == Decimal("5.700")  # 40 × 0.130 + 10 × 0.050: from the balance


def test_r10_7_when_the_balance_pays_passes_a_short_balance_refuses_the_pass_and_ends_it(
    grid, django_capture_on_commit_callbacks
):
    GridParameters.objects.update(capped_balance_pays_passes=True)
    line = capped("30")
    take(line, "maroc-illimite-mois", at(2026, 10, 3, 10, 0))
    with pytest.raises(OptionRefused):  # 7.000 for the week: 5.000 left
        take(line, "maroc-illimite-semaine", at(2026, 10, 4, 10, 0))
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("5.000")  # 30 - 25 for the month
    poor = capped()
    with pytest.raises(OptionRefused):
        take(poor, "maroc-illimite-semaine", at(2026, 10, 3, 10, 0))
    with (
        time_machine.travel(at(2026, 11, 3, 10, 5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        passes_renew()  # 5.000 left: the second month is not paid, nor invoiced
    holding = line.line_options.get(option__code="maroc-illimite-mois").pass_holding
    assert holding.ending == "balance_too_low"
    assert not Charge.objects.filter(line__in=[line, poor]).exists()
