"""Issue 16, point 3: the usage import survives bad files. Each bad value is refused with its
row number and the good rows go in; the same call spelled differently is one record; a file
that is not UTF-8 gets one clear message; a crash leaves no report that looks imported."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from billing.models import UsageImport, UsageRecord
from billing.usage import usage_import
from tests.billing.helpers import account, csv_of

GOOD = "2026-10-03T10:00:00,voice,+21671000000,2"


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("-Infinity", "not a number"),
        ("1E+30", "too large"),
        ("1000000000", "too large"),
        ("0.0004", "rounds to zero"),
        ("abc", "not a number"),
    ],
)
def test_a_bad_quantity_is_refused_with_its_row_and_the_good_rows_go_in(grid, quantity, message):
    msisdn = account().number.msisdn
    report = usage_import(
        name="q.csv",
        content=csv_of(f"{msisdn},{GOOD}", f"{msisdn},2026-10-03T11:00:00,sms,,{quantity}"),
    )
    assert report.rows_imported == 1
    assert [e["row"] for e in report.errors] == [3]
    assert message in report.errors[0]["error"]


def test_an_overlong_destination_a_future_time_and_a_time_before_the_line_are_refused(grid):
    msisdn = account(activated=datetime(2026, 9, 1, 10, 0)).number.msisdn
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    report = usage_import(
        name="bad.csv",
        content=csv_of(
            f"{msisdn},{GOOD}",
            f"{msisdn},2026-10-03T11:00:00,international,{'Z' * 41},1",
            f"{msisdn},{future},sms,,1",
            f"{msisdn},2026-08-31T10:00:00,sms,,1",
        ),
    )
    assert report.rows_imported == 1
    assert [e["row"] for e in report.errors] == [3, 4, 5]
    assert "longer than 40" in report.errors[0]["error"]
    assert "future" in report.errors[1]["error"]
    assert "no line held" in report.errors[2]["error"]


def test_the_same_call_spelled_differently_is_one_record(grid):
    msisdn = account().number.msisdn
    spaced = msisdn[:4] + " " + msisdn[4:]
    report = usage_import(
        name="spellings.csv",
        content=csv_of(
            f"{msisdn},2026-10-03T09:00:00Z,voice,+21671000000,60",
            f"{msisdn},2026-10-03T10:00:00+01:00,voice,+21671000000,60.0",
            f"{spaced},2026-10-03T09:00:00+00:00,voice, +21671000000 ,6E+1",
        ),
    )
    assert (report.rows_imported, report.rows_duplicate, report.errors) == (1, 2, [])
    again = usage_import(
        name="again.csv", content=csv_of(f"{msisdn},2026-10-03T10:00:00,voice,+21671000000,60")
    )  # a naive time is Tunis time: 10:00 in Tunis is 09:00 UTC
    assert (again.rows_imported, again.rows_duplicate) == (0, 1)
    assert UsageRecord.objects.count() == 1


def test_a_file_that_is_not_utf8_gets_one_clear_message(grid):
    msisdn = account().number.msisdn
    content = csv_of(f"{msisdn},2026-10-03T10:00:00,international,Algérie,2").decode()
    report = usage_import(name="latin1.csv", content=content.encode("latin-1"))
    assert report.rows_imported == 0
    assert len(report.errors) == 1 and "not UTF-8" in report.errors[0]["error"]


def test_a_crashed_import_leaves_no_report(grid, monkeypatch):
    msisdn = account().number.msisdn

    def crash(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(UsageRecord.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError):
        usage_import(name="crash.csv", content=csv_of(f"{msisdn},{GOOD}"))
    assert not UsageImport.objects.filter(name="crash.csv").exists()
