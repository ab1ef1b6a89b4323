"""The sweeps on real Celery workers (Redis): the beat schedule's jobs run, and a worker killed
inside a sweep's batch leaves whole batches only, which the next run completes."""

from datetime import date

import psycopg
import pytest
import redis
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
from tests.frozen_rows import rewriting_history
from tests.subscriptions.helpers import OVERDUE, _generate
from tests.worker_process import BROKER, database_url, running_worker, wait_for, worker_kill


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
    with rewriting_history():
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
    assert wait_for(lambda: ProvisioningOrder.objects.get(pk=block.pk).status == "confirmed", 60)
    assert wait_for(
        lambda: (
            CustomerNotification.objects.filter(
                line=line, cause="late_payment", sent_at__isnull=False
            ).count()
            == 2
        ),
        60,
    )


def _waiting_to_write_the_outbox() -> bool:
    """True once a session waits for a lock while writing provisioning orders. Its own
    connection, in autocommit: inside a transaction, pg_stat_activity is a snapshot taken at its
    first read."""
    with psycopg.connect(database_url(), autocommit=True) as watcher:
        return wait_for(
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
    try:
        with (
            running_worker(SWEEP_BATCH_SIZE="100") as worker,
            psycopg.connect(database_url()) as busy,
        ):
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
                assert wait_for(lambda: SuspensionCause.objects.count() == 100, 120)
                assert _waiting_to_write_the_outbox(), "the worker is not inside its 2nd batch"
                worker_kill(worker)  # no warm shutdown
            finally:
                busy.rollback()
        _suspended_once(set(due[:100]))  # the first batch whole, nothing of the second
        with running_worker(SWEEP_BATCH_SIZE="100"):
            app.send_task("subscriptions.tasks.run_sweep", args=["overdue_invoices"])
            assert wait_for(lambda: SuspensionCause.objects.count() == len(due), 120)
            assert wait_for(
                lambda: not ProvisioningOrder.objects.exclude(status="confirmed").exists(), 120
            )
    finally:
        connection.close()
    _suspended_once(set(due))
    assert Line.objects.filter(status="suspended").count() == len(due)
