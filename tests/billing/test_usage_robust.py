"""Issue 16, point 3: the usage import survives bad files. Each bad value is refused with its
row number and the good rows go in; the same call spelled differently is one record; a file
that is not UTF-8 gets one clear message; a crash leaves no report that looks imported."""

import io
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from billing import usage_import as usage_import_module
from billing.models import UsageImport, UsageRecord
from billing.usage_import import NOT_UTF8, usage_import_run, usage_import_store
from tests.billing.helpers import account, csv_of, usage_import

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


@pytest.mark.parametrize(
    "started_at",
    [
        "2026-02-30T10:00:00",  # no such day
        "2026-10-03T10:00:00+25:00",  # an offset of more than a day
        "0001-01-01T00:30:00+01:00",  # before the first instant a date holds in UTC
        "9999-12-31T23:30:00-01:00",  # after the last
        "03/10/2026 10:00",
    ],
)
def test_an_impossible_time_is_refused_with_its_row_and_the_good_rows_go_in(grid, started_at):
    msisdn = account().number.msisdn
    report = usage_import(
        name="t.csv", content=csv_of(f"{msisdn},{GOOD}", f"{msisdn},{started_at},sms,,1")
    )
    assert (report.status, report.rows_imported) == ("done", 1)
    assert [e["row"] for e in report.errors] == [3]
    assert "not a date and time" in report.errors[0]["error"]


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


def test_a_crashed_import_is_not_done_and_its_rerun_goes_on_without_duplicates(
    grid, monkeypatch, settings
):
    settings.USAGE_IMPORT_CHUNK_ROWS = 2
    msisdn = account().number.msisdn
    rows = [f"{msisdn},2026-10-03T{hour:02d}:00:00,sms,,1" for hour in range(10, 15)]
    inserts = []

    def crash_at_the_second_chunk(records):
        inserts.append(len(records))
        if len(inserts) == 2:
            raise RuntimeError("worker gone")
        return real_insert(records)

    real_insert = usage_import_module._insert
    monkeypatch.setattr(usage_import_module, "_insert", crash_at_the_second_chunk)
    with pytest.raises(RuntimeError):
        usage_import(name="crash.csv", content=csv_of(*rows))
    report = UsageImport.objects.get(name="crash.csv")
    assert (report.status, report.rows_total, report.rows_imported) == ("importing", 2, 2)
    assert UsageRecord.objects.count() == 2

    report = usage_import_run(report.pk)  # the task's retry, or the admin's "resume"
    assert (report.status, report.rows_total, report.rows_imported) == ("done", 5, 5)
    assert report.rows_duplicate == 0 and UsageRecord.objects.count() == 5
    assert usage_import_run(report.pk).rows_imported == 5  # done: nothing read again


def test_the_same_file_imported_again_adds_nothing_and_counts_duplicates(grid, settings):
    settings.USAGE_IMPORT_CHUNK_ROWS = 2
    msisdn = account().number.msisdn
    content = csv_of(*[f"{msisdn},2026-10-03T{hour:02d}:00:00,sms,,1" for hour in range(10, 15)])
    usage_import(name="first.csv", content=content)
    again = usage_import(name="again.csv", content=content)
    assert (again.status, again.rows_imported, again.rows_duplicate) == ("done", 0, 5)
    assert UsageRecord.objects.count() == 5


def test_refused_rows_are_all_counted_and_the_first_listed(grid, settings):
    settings.USAGE_IMPORT_CHUNK_ROWS = 3
    settings.USAGE_IMPORT_ERRORS_LISTED = 4
    msisdn = account().number.msisdn
    rows = [f"{msisdn},{GOOD}"] + [f"{msisdn},2026-10-03T11:00:00,sms,,NaN"] * 9
    report = usage_import(name="many.csv", content=csv_of(*rows))
    assert (report.rows_imported, report.rows_refused) == (1, 9)
    assert [error["row"] for error in report.errors] == [3, 4, 5, 6]


def test_a_row_the_csv_reader_cannot_read_is_refused_alone(grid):
    msisdn = account().number.msisdn
    huge = "x" * 200_000  # beyond the CSV reader's field size limit
    report = usage_import(
        name="huge.csv",
        content=csv_of(f"{msisdn},{GOOD}", f'{msisdn},2026-10-03T11:00:00,sms,"{huge}",1'),
    )
    assert report.rows_imported == 1 and report.status == "done"
    assert report.errors[0]["row"] == 3 and "not readable" in report.errors[0]["error"]


def test_progress_is_committed_chunk_by_chunk(grid, settings):
    settings.USAGE_IMPORT_CHUNK_ROWS = 2
    msisdn = account().number.msisdn
    rows = [f"{msisdn},2026-10-03T{hour:02d}:00:00,sms,,1" for hour in range(10, 15)]
    report = usage_import_store(name="p.csv", content=io.BytesIO(csv_of(*rows)))
    seen = []
    usage_import_run(
        report.pk,
        progress=lambda r: seen.append(
            (UsageImport.objects.get(pk=r.pk).rows_total, r.status, r.progress)
        ),
    )
    assert [(total, status) for total, status, _ in seen] == [
        (2, "importing"),
        (4, "importing"),
        (5, "importing"),
    ]
    assert [progress for *_, progress in seen] == sorted(progress for *_, progress in seen)
    done = UsageImport.objects.get(pk=report.pk)
    assert (done.status, done.progress, done.bytes_read) == ("done", 100, done.size)


def test_a_file_not_utf8_in_its_last_chunk_imports_nothing(grid, settings):
    settings.USAGE_IMPORT_CHUNK_ROWS = 1
    msisdn = account().number.msisdn
    content = csv_of(f"{msisdn},{GOOD}", f"{msisdn},2026-10-03T11:00:00,international,Algérie,2")
    report = usage_import(name="late-latin1.csv", content=content.decode().encode("latin-1"))
    assert (report.status, report.rows_imported, UsageRecord.objects.count()) == ("refused", 0, 0)
    assert report.errors == [{"row": 1, "error": NOT_UTF8}]


def test_a_file_without_line_breaks_is_read_piece_by_piece(grid, monkeypatch):
    monkeypatch.setattr(usage_import_module, "LINE_LIMIT", 1000)
    msisdn = account().number.msisdn
    endless = "9" * 5500  # no line break: read in pieces of 1,000 characters, each refused
    report = usage_import(name="endless.csv", content=csv_of(f"{msisdn},{GOOD}", endless))
    assert (report.status, report.rows_imported, report.rows_refused) == ("done", 1, 6)
