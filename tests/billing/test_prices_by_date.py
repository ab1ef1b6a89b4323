"""R1.3 in the billing run: an invoice uses the price in force on each day it bills. The run
prices from an in-memory snapshot of the grid (`catalogue.selectors.GridSnapshot`); these tests
fail if the snapshot ignored the effective dates."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from catalogue.models import GridParameters, OfferTerms, Option, OptionPrice
from subscriptions.lifecycle.records import line_transition
from subscriptions.models import LineOption
from tests.billing.helpers import account, issue, usage_import

OCTOBER_15 = date(2026, 10, 15)


@pytest.fixture(autouse=True)
def clock():
    """The instant of the tests that do not choose theirs (nothing here reads the real clock)."""
    with time_machine.travel(timezone.make_aware(datetime(2026, 11, 1, 2, 0)), tick=False):
        yield


def terms_from(line, day: date, **changes) -> OfferTerms:
    """A new row of the line's offer terms, in force from `day`, copied from the one before."""
    row = line.offer.terms.order_by("-effective_from").first()
    row.pk, row.effective_from = None, day
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    return row


def internet_option(line, taken_on: date = date(2026, 9, 1)) -> Option:
    option = Option.objects.get(code="internet-10go")  # 10.000 a month since 2025
    LineOption.objects.create(line=line, option=option, started_on=taken_on)
    return option


def amounts(invoice, kind: str) -> list[tuple[str, Decimal]]:
    """Each line's dates and computation as printed (R9.1: the computation gives the amount),
    and its amount."""
    return [
        (line.label.rsplit("(", 1)[-1].replace("\xa0", " "), line.amount_excl_tax)
        for line in invoice.lines.filter(kind=kind).order_by("position")
    ]


def test_r1_3_a_fee_changed_on_the_15th_bills_each_part_of_the_month_at_its_price(grid):
    line = account()
    option = internet_option(line)
    terms_from(line, OCTOBER_15, monthly_fee=Decimal("31.000"))
    OptionPrice.objects.create(option=option, effective_from=OCTOBER_15, fee=Decimal("15.500"))
    invoice = issue(line)
    assert amounts(invoice, "subscription") == [
        ("01/10 - 14/10 : 14 jours / 31 × 20,000 TND)", Decimal("9.032")),
        ("15/10 - 31/10 : 17 jours / 31 × 31,000 TND)", Decimal("17.000")),
    ]
    assert amounts(invoice, "option") == [
        ("01/10 - 14/10 : 14 jours / 31 × 10,000 TND)", Decimal("4.516")),
        ("15/10 - 31/10 : 17 jours / 31 × 15,500 TND)", Decimal("8.500")),
    ]
    assert invoice.total_excl_tax == Decimal("39.048")


def test_r1_3_a_price_change_after_a_termination_is_not_billed(grid, agent):
    line = account()
    terms_from(line, OCTOBER_15, monthly_fee=Decimal("31.000"))
    with time_machine.travel(timezone.make_aware(datetime(2026, 10, 10, 12, 0)), tick=False):
        line_transition(line=line, to="terminated", actor=agent, reason="test")
    assert amounts(issue(line), "subscription") == [
        ("01/10 - 10/10 : 10 jours / 31 × 20,000 TND)", Decimal("6.452")),
    ]


def test_r1_3_a_future_price_not_yet_in_force_is_not_used(grid):
    line = account()
    option = internet_option(line)
    terms_from(
        line,
        date(2027, 1, 1),
        monthly_fee=Decimal("31.000"),
        voice_minutes_included=0,
    )
    OptionPrice.objects.create(option=option, effective_from=date(2027, 1, 1), fee=Decimal("99"))
    parameters = GridParameters.objects.order_by("-effective_from").first()
    parameters.pk, parameters.effective_from = None, date(2027, 1, 1)
    parameters.vat_rate, parameters.stamp_duty = Decimal("0.2500"), Decimal("9.000")
    parameters.save()
    msisdn = line.number.msisdn
    usage_import(
        name="cdr.csv",
        content=(
            "msisdn,started_at,kind,destination,quantity\n"
            f"{msisdn},2026-10-20T10:00:00,voice,+21671000000,100\n"
        ).encode(),
    )
    invoice = issue(line)
    assert amounts(invoice, "subscription") == [
        ("01/10 - 31/10)", Decimal("20.000")),
    ]
    assert amounts(invoice, "option") == [("01/10 - 31/10)", Decimal("10.000"))]
    assert not invoice.lines.filter(kind="usage").exists()  # 100 of the 120 minutes of 2026
    assert (invoice.vat_rate, invoice.stamp_duty) == (Decimal("0.1900"), Decimal("1.000"))


def test_r1_3_usage_is_priced_at_each_records_day_across_a_mid_month_change(grid):
    line = account()
    # The allowance is the one of the terms in force on the month's first billed day (120 min).
    terms_from(line, OCTOBER_15, voice_rate=Decimal("0.200"), voice_minutes_included=130)
    msisdn = line.number.msisdn
    usage_import(
        name="cdr.csv",
        content=(
            "msisdn,started_at,kind,destination,quantity\n"
            f"{msisdn},2026-10-03T10:00:00,voice,+21671000000,120\n"  # the month's allowance
            f"{msisdn},2026-10-14T23:30:00,voice,+21671000000,10\n"  # at 0.120
            f"{msisdn},2026-10-15T00:30:00,voice,+21671000000,10\n"  # at 0.200
        ).encode(),
    )
    usage = issue(line).lines.filter(kind="usage").order_by("position")
    assert [(u.quantity, u.unit_price, u.amount_excl_tax) for u in usage] == [
        (Decimal("10"), Decimal("0.120"), Decimal("1.200")),
        (Decimal("10"), Decimal("0.200"), Decimal("2.000")),
    ]
