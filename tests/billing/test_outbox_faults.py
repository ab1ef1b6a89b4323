"""Issue 16, points 1 and 2: a run of 128 accounts on a real worker while Redis is killed, or
while PostgreSQL refuses connections. After recovery, without any rerun by hand (only the beat
job, billing.tasks.redeliver_billing, sent as beat sends it), every invoice has one PDF and
exactly one mail, the paper batch holds the paper invoices, and the run is done with its count
right; a batch message delivered twice counts once. (The worker SIGKILLed in the middle of a run:
test_outbox_worker.py.)"""

import time

import pytest
from django.db import connection

from billing.models import BillingRun
from billing.services import billing_run_start
from billing.tasks import bill_accounts
from tests.billing.helpers import OCTOBER
from tests.billing.run_faults import (
    BATCH,
    MAILED,
    MAILS_BEFORE_FAULT,
    assert_one_pdf_and_one_mail_each,
    beat_until_delivered,
    delivery_settings,
    mails_sent,
    run_accounts,
    undelivered,
)
from tests.fault_servers import database_proxy, private_redis
from tests.worker_process import BROKER, database_url, running_worker, wait_for

# Seconds PostgreSQL refuses the worker's connections: shorter than the minute to keep
# the test short, but longer than the first retry's wait; the tasks' retries wait 5 s doubling
# to 5 minutes over 20 attempts (about an hour and a half, lib.tasks.OUTAGE_RETRY), so a task
# cut by the outage fails again at its first retry and goes through at its second.
OUTAGE_SECONDS = 8


pytestmark = pytest.mark.faults


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r9_1_redis_killed_mid_run_then_beat_alone_gives_one_pdf_and_one_mail_each(
    grid, celery_app_on_broker, settings, tmp_path
):
    worker_env = delivery_settings(settings, tmp_path)
    run_accounts(prefix="R")
    try:
        with private_redis(tmp_path / "redis") as broker:
            celery_app_on_broker(broker.url)
            with running_worker(
                broker=broker.url, queues="celery,documents", concurrency=2, **worker_env
            ):
                billing_run_start(period=OCTOBER)
                assert wait_for(lambda: mails_sent(tmp_path) >= MAILS_BEFORE_FAULT, 300)
                broker.kill()  # with its queues and the messages held unacknowledged
                assert mails_sent(tmp_path) < MAILED, "the run finished before Redis was killed"
                time.sleep(3)
                broker.start()  # on the same port, its append-only file read back
                assert beat_until_delivered(600), undelivered()
                _batch_delivered_again()
        assert_one_pdf_and_one_mail_each(tmp_path)
    finally:
        connection.close()


def _batch_delivered_again() -> None:
    """A batch message delivered once more (as Redis restoring its append-only file may do)
    bills nothing and counts nothing twice."""
    run = BillingRun.objects.get()
    before = run.updated_at
    batch = list(run.accounts.order_by("contract_id").values_list("contract_id", flat=True)[:BATCH])
    bill_accounts.delay(run.pk, batch)
    assert wait_for(lambda: BillingRun.objects.get().updated_at > before, 60)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r9_1_database_refusing_connections_mid_run_then_beat_alone_gives_one_pdf_and_one_mail_each(
    grid, celery_app_on_broker, settings, tmp_path
):
    worker_env = delivery_settings(settings, tmp_path)
    run_accounts(prefix="D")
    database = settings.DATABASES["default"]
    celery_app_on_broker(BROKER)
    try:
        with (
            database_proxy(database["HOST"], int(database["PORT"])) as proxy,
            running_worker(
                queues="celery,documents",
                concurrency=2,
                DATABASE_URL=database_url(proxy.port),
                **worker_env,
            ),
        ):
            billing_run_start(period=OCTOBER)
            assert wait_for(lambda: mails_sent(tmp_path) >= MAILS_BEFORE_FAULT, 300)
            proxy.close()  # open connections cut, new ones refused
            assert mails_sent(tmp_path) < MAILED, "the run finished before the outage"
            time.sleep(OUTAGE_SECONDS)
            proxy.open()
            assert beat_until_delivered(600), undelivered()
        assert_one_pdf_and_one_mail_each(tmp_path)
    finally:
        connection.close()
