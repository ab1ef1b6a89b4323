"""Issue 16, point 3 on a real worker (Redis): an uploaded usage file is imported by the worker
in chunks; the worker SIGKILLed in the middle leaves the import `importing` with the chunks it
committed, and the import queued again (the admin's "resume") ends with each row once."""

import io
import os
import signal
import subprocess
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection

from billing.models import UsageImport, UsageRecord
from billing.usage_import import usage_import_queue
from lib.tasks import dispatch
from tests.billing.helpers import account, csv_of
from tests.worker_process import BROKER, celery_command, database_url, wait_for

ROWS = 6000
CHUNK = 200


def _worker(tmp_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "DEBUG": "false",
        "HTTPS": "false",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "USAGE_IMPORT_CHUNK_ROWS": str(CHUNK),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(  # noqa: S603  (our own worker command)
        celery_command(
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "warning",
        ),
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
    )


def _kill(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_import_leaves_it_unfinished_and_the_resumed_import_has_each_row_once(
    grid, celery_app_on_broker, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    msisdn = account().number.msisdn
    start = datetime(2026, 10, 1)
    content = csv_of(
        *(
            f"{msisdn},{start + timedelta(minutes=row):%Y-%m-%dT%H:%M:%S},sms,,1"
            for row in range(ROWS)
        )
    )
    celery_app_on_broker(BROKER)
    try:
        worker = _worker(tmp_path)
        try:
            report = usage_import_queue(name="cdr.csv", content=io.BytesIO(content))
            # Killed in the middle: some chunks committed, most not.
            assert wait_for(lambda: _read(report) >= 3 * CHUNK, 300)
            os.killpg(worker.pid, signal.SIGKILL)  # no warm shutdown, its message unacked
            worker.wait(30)
        finally:
            _kill(worker)
        report.refresh_from_db()
        assert report.status == "importing" and 0 < report.rows_total < ROWS
        assert UsageRecord.objects.count() == report.rows_imported == report.rows_total
        assert 0 < report.progress < 100

        worker = _worker(tmp_path)
        try:
            dispatch("billing.tasks.import_usage_file", report.pk)  # the admin's "resume"
            assert wait_for(lambda: _status(report) == "done", 300)
        finally:
            _kill(worker)
        report.refresh_from_db()
        counts = (report.rows_total, report.rows_imported, report.rows_duplicate)
        assert counts == (ROWS, ROWS, 0)
        assert UsageRecord.objects.count() == ROWS
        assert report.rows_refused == 0 and report.progress == 100
    finally:
        connection.close()


def _read(report: UsageImport) -> int:
    return UsageImport.objects.get(pk=report.pk).rows_total


def _status(report: UsageImport) -> str:
    return UsageImport.objects.get(pk=report.pk).status
