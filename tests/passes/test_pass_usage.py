"""International calls rated by the called number (R1.1), usage included in a pass (R1.2)."""

from datetime import date
from decimal import Decimal

from billing.documents import invoice_usage
from billing.invoicing import Period
from billing.models import UsageRecord
from catalogue.models import DestinationPrefix, PassAllowance
from tests.billing.helpers import csv_of, issue, usage_import
from tests.passes.conftest import at, postpaid, take

OCTOBER = Period.month(date(2026, 10, 1))


def test_r1_1_international_calls_are_rated_by_the_longest_prefix_of_the_dated_table(grid):
    line = postpaid()
    # A new table from 15 October: Morocco's mobiles (+2126) priced in the "monde" zone, the
    # rest of Morocco still Maghreb: the longest prefix wins, the country stays Morocco.
    for row in DestinationPrefix.objects.filter(effective_from=date(2025, 1, 1)):
        row.pk, row.effective_from = None, date(2026, 10, 15)
        row.save()
    DestinationPrefix.objects.create(
        effective_from=date(2026, 10, 15),
        prefix="2126",
        country="MA",
        country_name="Maroc (mobiles)",
        zone="monde",
    )
    msisdn = line.number.msisdn
    report = usage_import(
        name="cdr.csv",
        content=csv_of(
            f"{msisdn},2026-10-03T10:00:00,international,+212612345678,2",
            f"{msisdn},2026-10-03T11:00:00,international,0021698123456,1",
            f"{msisdn},2026-10-03T12:00:00,international,+33612345678,1",
            f"{msisdn},2026-10-20T10:00:00,international,+212612345678,2",
            f"{msisdn},2026-10-20T11:00:00,international,+212522000000,2",
            f"{msisdn},2026-10-20T12:00:00,international,+999123,2",
        ),
    )
    assert report.rows_imported == 5
    assert "+999123" in report.errors[0]["error"] and report.errors[0]["row"] == 7
    rated = list(UsageRecord.objects.order_by("started_at").values_list("country", "unit_price"))
    assert rated == [
        ("MA", Decimal("0.450")),  # Maghreb before the 15th
        ("TN", Decimal("0.450")),  # +216 is Tunisia, whatever zone groups it
        ("FR", Decimal("0.900")),
        ("MA", Decimal("1.500")),  # +2126 from the 15th: the longer prefix, "monde"
        ("MA", Decimal("0.450")),  # +2125: still +212, Maghreb
    ]


def test_r1_2_a_morocco_call_is_included_in_the_pass_and_billed_without_it(grid):
    with_pass, without = postpaid(), postpaid()
    take(with_pass, "maroc-illimite-semaine", at(2026, 10, 3, 10, 0))  # until 10/10 10:00
    rows = []
    for line in (with_pass, without):
        n = line.number.msisdn
        rows += [
            f"{n},2026-10-05T20:00:00,international,+212661000000,30",  # in the week: included
            f"{n},2026-10-05T21:00:00,international,+21698000000,5",  # Tunisia: not in the pass
            f"{n},2026-10-10T10:30:00,international,+212661000000,10",  # the week is over
        ]
    usage_import(name="cdr.csv", content=csv_of(*rows))

    invoice = issue(with_pass)
    included = invoice.lines.get(kind="included")
    assert (included.quantity, included.unit_price, included.amount_excl_tax) == (
        Decimal("30.000"),
        Decimal("0.000"),
        Decimal("0.000"),
    )
    assert "Pass Maroc illimité — semaine" in included.label
    charged = invoice.lines.get(kind="usage")
    assert (charged.quantity, charged.unit_price) == (Decimal("15.000"), Decimal("0.450"))
    assert charged.amount_excl_tax == Decimal("6.750")  # 5 + 10 minutes, never the 30 again
    fee = invoice.lines.get(kind="option")
    assert fee.amount_excl_tax == Decimal("7.000") and "03/10/2026 10:00" in fee.label

    # The usage detail shows the included call at 0.000 with the pass's name (R1.2).
    detail = [(r["destination"], r["unit_price"]) for r in invoice_usage(invoice)]
    assert detail == [
        ("+212661000000 (Pass Maroc illimité — semaine)", Decimal("0.000")),
        ("+21698000000", Decimal("0.450")),
        ("+212661000000", Decimal("0.450")),
    ]

    without_invoice = issue(without)
    assert not without_invoice.lines.filter(kind="included").exists()
    assert without_invoice.lines.get(kind="usage").quantity == Decimal("45.000")  # all billed


def test_r1_2_beyond_the_fair_use_limit_the_calls_are_rated_normally(grid):
    line = postpaid()
    PassAllowance.objects.filter(option__code="maroc-illimite-mois").update(fair_use=60)
    take(line, "maroc-illimite-mois", at(2026, 10, 1, 8, 0))
    n = line.number.msisdn
    usage_import(
        name="cdr.csv",
        content=csv_of(
            f"{n},2026-10-02T20:00:00,international,+212661000000,45",
            f"{n},2026-10-09T20:00:00,international,+212661000000,35",
        ),
    )
    invoice = issue(line)
    assert invoice.lines.get(kind="included").quantity == Decimal("60.000")
    assert invoice.lines.get(kind="usage").quantity == Decimal("20.000")
