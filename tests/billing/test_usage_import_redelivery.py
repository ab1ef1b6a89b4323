"""Issue 16, point 1: a usage import left `queued` or `importing` by a dead worker (or a lost
message) is queued again by the beat job (billing.tasks.redeliver_billing) once it made no
progress for OUTBOX_STALE_SECONDS; it goes on after its last committed chunk, and two runs of it
at once count each chunk once."""

from datetime import datetime, timedelta
from io import BytesIO

import pytest
import time_machine
from django.utils import timezone

from billing import usage_import as usage_import_module
from billing.models import UsageImport, UsageRecord
from billing.outbox import billing_redeliver
from billing.tasks import redeliver_billing
from billing.usage_import import usage_import_run, usage_import_store
from tests.billing.helpers import account, csv_of, usage_import

pytestmark = pytest.mark.usefixtures("private_storage")

NOW = timezone.make_aware(datetime(2026, 11, 5, 10, 0))


def _rows(msisdn: str, count: int) -> list[str]:
    return [f"{msisdn},2026-10-03T{hour:02d}:00:00,sms,,1" for hour in range(10, 10 + count)]


@pytest.fixture
def stale_after_5_minutes(grid, settings) -> None:
    settings.OUTBOX_STALE_SECONDS = 300
    settings.USAGE_IMPORT_CHUNK_ROWS = 2


def test_an_import_whose_worker_died_is_resumed_by_the_beat_job(stale_after_5_minutes, monkeypatch):
    real_insert = usage_import_module._insert
    chunks = []

    def worker_killed_at_the_second_chunk(records):
        chunks.append(len(records))
        if len(chunks) == 2:
            raise SystemExit("worker killed")
        return real_insert(records)

    with time_machine.travel(NOW, tick=False) as clock:
        msisdn = account().number.msisdn
        monkeypatch.setattr(usage_import_module, "_insert", worker_killed_at_the_second_chunk)
        with pytest.raises(SystemExit):
            usage_import(name="killed.csv", content=csv_of(*_rows(msisdn, 5)))
        monkeypatch.undo()
        report = UsageImport.objects.get(name="killed.csv")
        assert (report.status, report.rows_total) == ("importing", 2)

        clock.shift(timedelta(minutes=4))
        assert billing_redeliver()["usage_imports"] == 0  # its worker may still be at it
        clock.shift(timedelta(minutes=2))
        assert redeliver_billing.delay().get()["usage_imports"] == 1
        assert billing_redeliver()["usage_imports"] == 0  # done: not queued again

    report.refresh_from_db()
    assert (report.status, report.rows_total, report.rows_imported) == ("done", 5, 5)
    assert report.rows_duplicate == 0 and UsageRecord.objects.count() == 5


def test_an_import_whose_message_was_lost_is_queued_by_the_beat_job(
    stale_after_5_minutes, monkeypatch
):
    queued = []
    monkeypatch.setattr("billing.outbox.dispatch", lambda name, *args: queued.append((name, *args)))
    with time_machine.travel(NOW, tick=False) as clock:
        msisdn = account().number.msisdn
        stored = usage_import_store(name="lost.csv", content=BytesIO(csv_of(*_rows(msisdn, 3))))
        assert stored.status == "queued"
        clock.shift(timedelta(minutes=6))
        assert billing_redeliver()["usage_imports"] == 1
    assert queued == [("billing.tasks.import_usage_file", stored.pk)]


def test_two_runs_of_one_import_at_once_count_each_chunk_once(stale_after_5_minutes):
    with time_machine.travel(NOW, tick=False):
        msisdn = account().number.msisdn
        stored = usage_import_store(name="twice.csv", content=BytesIO(csv_of(*_rows(msisdn, 7))))
        overtaken = []

        def second_run_after_the_first_chunk(report: UsageImport) -> None:
            if not overtaken:
                overtaken.append(report.rows_total)
                # The beat queued it again and another worker runs it meanwhile, to the end.
                assert usage_import_run(stored.pk).status == "done"

        first = usage_import_run(stored.pk, progress=second_run_after_the_first_chunk)

    assert overtaken == [2]
    assert (first.status, first.rows_total, first.rows_imported) == ("done", 7, 7)
    assert first.rows_duplicate == 0 and UsageRecord.objects.count() == 7
