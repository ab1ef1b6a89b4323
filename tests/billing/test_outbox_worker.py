"""Issue 16, points 1 and 2 on a real worker (Redis): the worker is SIGKILLed in the middle of
a run of 128 accounts (invoices billed, PDFs rendered and mails sent in flight, its messages
stuck unacknowledged in Redis). Then, without any rerun by hand, only the beat job
(billing.tasks.redeliver_billing, sent as beat sends it) and a new worker: every invoice has one
PDF and exactly one mail, the paper batch holds the paper invoices, and the run is done with its
count right."""

import pytest
from django.db import connection

from billing.models import Invoice
from billing.services import billing_run_start
from tests.billing.helpers import OCTOBER
from tests.billing.run_faults import (
    MAILED,
    MAILS_BEFORE_FAULT,
    PAPER,
    assert_one_pdf_and_one_mail_each,
    beat_until_delivered,
    delivery_settings,
    mails_sent,
    run_accounts,
    undelivered,
)
from tests.worker_process import BROKER, running_worker, wait_for, worker_kill

pytestmark = pytest.mark.faults


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r9_1_worker_killed_mid_run_then_beat_alone_gives_one_pdf_and_one_mail_each(
    grid, celery_app_on_broker, settings, tmp_path
):
    worker_env = delivery_settings(settings, tmp_path)
    run_accounts(prefix="K")
    celery_app_on_broker(BROKER)
    try:
        with running_worker(queues="celery,documents", concurrency=2, **worker_env) as worker:
            billing_run_start(period=OCTOBER)
            # Killed in the middle: some invoices billed and some mailed, most not.
            assert wait_for(lambda: mails_sent(tmp_path) >= MAILS_BEFORE_FAULT, 300)
            worker_kill(worker)
        assert Invoice.objects.exclude(pdf="").count() < MAILED + PAPER, "finished before"
        with running_worker(queues="celery,documents", concurrency=2, **worker_env):
            assert beat_until_delivered(600), undelivered()
        assert_one_pdf_and_one_mail_each(tmp_path)
    finally:
        connection.close()
