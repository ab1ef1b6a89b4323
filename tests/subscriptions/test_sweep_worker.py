"""The sweeps on real Celery workers (Redis): the beat schedule's jobs run, and a worker killed
inside a sweep's batch leaves whole batches only, which the next run completes."""

import os
import signal
import subprocess
import time
from datetime import date

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from billing.models import Invoice
from portal.celery import app as celery_app
from subscriptions.models import (
    CustomerNotification,
    Line,
    LineStatusChange,
    ProvisioningOrder,
    SuspensionCause,
)
from tests.factories import BoutiqueFactory, UserFactory
from tests.subscriptions.helpers import OVERDUE, _generate
from tests.worker_process import celery_command

BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def empty_broker():
    """Messages other tests left on the broker must not keep this test's worker busy."""
    redis.Redis.from_url(BROKER).flushdb()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r10_4_the_beat_schedule_sweeps_run_on_a_worker(
    alice, empty_broker, celery_worker_on_redis, settings
):
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    line = Line.objects.get(contract__customer=alice)
    Invoice.objects.filter(contract=line.contract).update(due_on=date(2026, 1, 1))
    Invoice.objects.filter(contract=line.contract).first().allocations.all().delete()
    jobs = {
        name: entry
        for name, entry in celery_app.conf.beat_schedule.items()
        if entry["task"].startswith("subscriptions.tasks.")
    }
    assert {"suspensions-overdue-invoices", "outbox-redelivery"} <= set(jobs)
    for entry in jobs.values():
        result = celery_worker_on_redis.send_task(entry["task"], args=entry.get("args", []))
        result.get(timeout=120)
    line.refresh_from_db()
    assert line.status == Line.Status.SUSPENDED
    assert line.suspension_causes.filter(lifted_at__isnull=True, cause="late_payment").exists()
    # The block and the notifications were queued by the sweep and sent by the worker.
    block = ProvisioningOrder.objects.get(line=line, key__startswith="block:")
    assert _wait_for(lambda: ProvisioningOrder.objects.get(pk=block.pk).status == "confirmed", 60)
    assert _wait_for(
        lambda: (
            CustomerNotification.objects.filter(
                line=line, cause="late_payment", sent_at__isnull=False
            ).count()
            == 2
        ),
        60,
    )


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _worker() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "SWEEP_BATCH_SIZE": "100",
        "DEBUG": "false",
        "HTTPS": "false",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(  # noqa: S603  (our own worker command)
        celery_command(
            *("-A", "portal", "worker", "--pool", "solo"),
            *("--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "warning"),
        ),
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
    )


def _waiting_to_write_the_outbox() -> bool:
    """True once a session waits for a lock while writing provisioning orders. Its own
    connection, in autocommit: inside a transaction, pg_stat_activity is a snapshot taken at its
    first read."""
    with psycopg.connect(_database_url(), autocommit=True) as watcher:
        return _wait_for(
            lambda: (
                watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()"
                    " AND query LIKE %s",
                    ["%subscriptions_provisioningorder%"],
                ).fetchone()[0]
                > 0
            ),
            120,
        )


def _suspended_once(line_ids: set[int]) -> None:
    """Each of `line_ids` has one late-payment cause, one move to suspended and one block, and
    no other line has any."""
    causes = sorted(SuspensionCause.objects.values_list("line_id", flat=True))
    moves = sorted(
        LineStatusChange.objects.filter(to_status="suspended").values_list("line_id", flat=True)
    )
    blocks = sorted(
        ProvisioningOrder.objects.filter(key__startswith="block:cause").values_list(
            "line_id", flat=True
        )
    )
    assert causes == moves == blocks == sorted(line_ids)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r10_4_worker_killed_inside_a_batch_then_next_run_suspends_each_line_once(
    grid, celery_app_on_broker
):
    ids = _generate(BoutiqueFactory(), UserFactory())
    due = [ids[i] for i in OVERDUE]
    app = celery_app_on_broker(BROKER)
    worker = _worker()
    try:
        with psycopg.connect(_database_url()) as busy:
            # The worker's causes will be numbered from `first + 1`, 100 per batch: the test
            # holds, uncommitted, the block key of the 50th cause of the second batch, so the
            # worker waits inside that batch after writing its causes, moves and history.
            first = busy.execute(
                "SELECT nextval(pg_get_serial_sequence('subscriptions_suspensioncause', 'id'))"
            ).fetchone()[0]
            busy.execute(
                "INSERT INTO subscriptions_provisioningorder (line_id, action, payload, key,"
                " reason, status, attempts, last_error, created_at)"
                " VALUES (%s, 'block', '{}', %s, 'held by the test', 'pending', 0, '', now())",
                [ids[-1], f"block:cause{first + 150}"],
            )
            try:
                app.send_task("subscriptions.tasks.run_sweep", args=["overdue_invoices"])
                assert _wait_for(lambda: SuspensionCause.objects.count() == 100, 120)
                assert _waiting_to_write_the_outbox(), "the worker is not inside its 2nd batch"
                os.killpg(worker.pid, signal.SIGKILL)  # no warm shutdown
                worker.wait(30)
            finally:
                busy.rollback()
        _suspended_once(set(due[:100]))  # the first batch whole, nothing of the second
        worker = _worker()
        app.send_task("subscriptions.tasks.run_sweep", args=["overdue_invoices"])
        assert _wait_for(lambda: SuspensionCause.objects.count() == len(due), 120)
        assert _wait_for(
            lambda: not ProvisioningOrder.objects.exclude(status="confirmed").exists(), 120
        )
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(30)
        connection.close()
    _suspended_once(set(due))
    assert Line.objects.filter(status="suspended").count() == len(due)
