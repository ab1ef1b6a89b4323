"""Usage records: import (priced by the grid of their day, R1.3), and billing beyond allowances."""

import io
from datetime import date, datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from billing.models import UsageImport, UsageRecord
from billing.usage_import import usage_import_store
from tests.billing.helpers import account, csv_of, issue, usage_import

HEADER = "msisdn,started_at,kind,destination,quantity\n"


def test_r1_3_each_record_is_priced_by_the_grid_of_its_day(grid):
    line = account(activated=datetime(2025, 12, 1, 9, 0))
    terms_2026 = line.offer.terms.get(effective_from=date(2026, 1, 1))
    terms_2026.voice_rate = Decimal("0.150")
    terms_2026.save()
    msisdn = line.number.msisdn
    usage_import(
        name="cdr.csv",
        content=csv_of(
            f"{msisdn},2025-12-31T23:50:00,voice,+21671000000,3",
            f"{msisdn},2026-01-01T00:10:00,voice,+21671000000,3",
        ),
    )
    prices = list(UsageRecord.objects.order_by("started_at").values_list("unit_price", flat=True))
    assert prices == [Decimal("0.120"), Decimal("0.150")]


def test_a_file_imported_twice_adds_nothing(grid):
    line = account()
    content = csv_of(
        f"{line.number.msisdn},2026-10-03T10:00:00,sms,+21698000000,1",
        f"{line.number.msisdn},2026-10-03T11:00:00,data,,250.5",
    )
    first = usage_import(name="a.csv", content=content)
    second = usage_import(name="a.csv", content=content)
    assert (first.rows_imported, second.rows_imported, second.rows_duplicate) == (2, 0, 2)
    assert UsageRecord.objects.count() == 2


def test_bad_rows_are_reported_with_their_row_number_and_good_rows_go_in(grid):
    line = account()
    msisdn = line.number.msisdn
    report = usage_import(
        name="mixed.csv",
        content=csv_of(
            f"{msisdn},2026-10-03T10:00:00,voice,+21671000000,2",
            "12345,2026-10-03T10:00:00,voice,,2",
            f"{msisdn},yesterday,voice,,2",
            f"{msisdn},2026-10-03T10:00:00,fax,,2",
            f"{msisdn},2026-10-03T10:00:00,international,,2",
            f"{msisdn},2026-10-03T10:00:00,sms,,-1",
            f"{msisdn},2020-01-01T10:00:00,sms,,1",
            f"{msisdn},2026-10-04T10:00:00,international,maghreb,4",
        ),
    )
    assert report.rows_imported == 2
    assert [error["row"] for error in report.errors] == [3, 4, 5, 6, 7, 8]
    assert "msisdn" in report.errors[0]["error"]
    assert "no line held" in report.errors[5]["error"]


def test_a_file_without_the_columns_is_refused_whole(grid):
    report = usage_import(name="x.csv", content=b"a,b\n1,2\n")
    assert report.rows_imported == 0 and "missing columns" in report.errors[0]["error"]


def test_r9_1_usage_beyond_allowances_is_billed(grid):
    line = account()  # Forfait Liberte 20: 120 min, 100 SMS, 5120 MB included in 2026
    msisdn = line.number.msisdn
    usage_import(
        name="october.csv",
        content=csv_of(
            f"{msisdn},2026-10-02T10:00:00,voice,+21671000000,100",
            f"{msisdn},2026-10-20T10:00:00,voice,+21671000000,30",
            f"{msisdn},2026-10-21T10:00:00,international,europe,5",
            f"{msisdn},2026-11-01T00:05:00,voice,+21671000000,50",
        ),
    )
    invoice = issue(line)
    usage = {item.label.split(" - ")[0]: item for item in invoice.lines.filter(kind="usage")}
    national = usage["Appels nationaux hors forfait (min)"]
    assert (national.quantity, national.amount_excl_tax) == (Decimal("10.000"), Decimal("1.200"))
    international = usage["Appels internationaux (min)"]
    assert international.amount_excl_tax == Decimal("4.500")  # 5 min x 0.900, no allowance
    assert invoice.total_excl_tax == Decimal("25.700")


def test_usage_within_allowances_adds_no_line(grid):
    line = account()
    usage_import(
        name="small.csv",
        content=csv_of(f"{line.number.msisdn},2026-10-02T10:00:00,sms,+21698000000,1"),
    )
    assert not issue(line).lines.filter(kind="usage").exists()


def test_import_by_command_and_by_admin_upload(
    grid, supervisor, client, tmp_path, django_capture_on_commit_callbacks
):
    line = account()
    path = tmp_path / "cdr.csv"
    path.write_bytes(csv_of(f"{line.number.msisdn},2026-10-02T10:00:00,sms,+21698000000,1"))
    call_command("import_usage", str(path))
    client.force_login(supervisor)
    upload = SimpleUploadedFile(
        "cdr2.csv", csv_of(f"{line.number.msisdn},2026-10-03T10:00:00,sms,+21698000000,1")
    )
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(reverse("admin:billing_usageimport_add"), {"upload": upload})
    assert response.status_code == 302 and len(queued) == 1  # the import, queued for a worker
    assert UsageImport.objects.count() == 2 and UsageRecord.objects.count() == 2
    uploaded = UsageImport.objects.get(name="cdr2.csv")
    assert uploaded.status == "done" and uploaded.source.read().startswith(b"msisdn,")
    listing = client.get(reverse("admin:billing_usageimport_changelist")).content.decode()
    assert "100 %" in listing


def test_an_unfinished_import_is_resumed_by_the_command(grid, tmp_path, capsys):
    line = account()
    report = usage_import_store(
        name="cdr.csv",
        content=io.BytesIO(csv_of(f"{line.number.msisdn},2026-10-02T10:00:00,sms,,1")),
    )
    call_command("import_usage", "--resume", str(report.pk))
    report.refresh_from_db()
    assert (report.status, report.rows_imported) == ("done", 1)
    assert "1 imported" in capsys.readouterr().out


def test_r1_3_usage_at_two_prices_is_billed_one_line_per_price_that_multiplies_to_its_amount(
    grid,
):
    """International calls at 0.900 then 0.950 a minute (a new rate in mid-month): an average
    price (0.921 for 7 minutes) would print 7 × 0.921 = 6.447 beside 6.450."""
    from django.utils import timezone
    from time_machine import travel

    with travel(timezone.make_aware(datetime(2026, 10, 1, 9, 0)), tick=False):
        line = account()
        for day, minutes, price in ((3, 4, "0.900"), (20, 2, "0.950"), (21, 1, "0.950")):
            UsageRecord.objects.create(
                line=line,
                started_at=timezone.make_aware(datetime(2026, 10, day, 12, 0)),
                kind=UsageRecord.Kind.INTERNATIONAL,
                destination="+212522000000",
                quantity=Decimal(minutes),
                unit_price=Decimal(price),
                usage_import=UsageImport.objects.get_or_create(name="mediation")[0],
                record_key=f"two-prices-{day}",
            )
    with travel(timezone.make_aware(datetime(2026, 11, 1, 8, 0)), tick=False):
        invoice = issue(line)
    usage = [
        (row.quantity, row.unit_price, row.amount_excl_tax)
        for row in invoice.lines.filter(kind="usage").order_by("position")
    ]
    assert usage == [
        (Decimal("4.000"), Decimal("0.900"), Decimal("3.600")),
        (Decimal("3.000"), Decimal("0.950"), Decimal("2.850")),
    ]
    assert all(quantity * price == amount for quantity, price, amount in usage)
