"""Issue 16, points 1 and 2 on a real worker (Redis): the worker is SIGKILLed in the middle of
a run of 500 accounts (invoices billed, PDFs rendered and mails sent in flight, its messages
stuck unacknowledged in Redis). Then, without any rerun by hand, only the beat job
(billing.tasks.redeliver_billing, sent as beat sends it) and a new worker: every invoice has one
PDF and exactly one mail, and the run is done with its count right."""

import email
import os
import signal
import subprocess
import time
from datetime import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from billing.models import BillingRun, Invoice
from billing.services import billing_run_start
from billing.tasks import redeliver_billing
from catalogue.models import Offer
from subscriptions.models import Contract, Customer, Line, MobileNumber
from tests.billing.helpers import BROKER, OCTOBER, _database_url, _wait_for
from tests.factories import BoutiqueFactory
from tests.mail_spool import spooled
from tests.worker_process import celery_command

ACCOUNTS = 500
STALE_SECONDS = 5


def _accounts() -> None:
    boutique = BoutiqueFactory()
    offer = Offer.objects.get(code="forfait-liberte-20")
    customers = Customer.objects.bulk_create(
        Customer(
            kind="individual",
            boutique=boutique,
            last_name=f"K{i}",
            first_name="K",
            cin=f"{50000000 + i:08d}",
            street="1 rue",
            postal_code="1000",
            city="Tunis",
            email=f"k{i}@example.tn",
        )
        for i in range(ACCOUNTS)
    )
    contracts = Contract.objects.bulk_create(
        Contract(customer=c, reference=f"K{i:06d}") for i, c in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"+2162{7000000 + i:07d}", status="assigned") for i in range(ACCOUNTS)
    )
    Line.objects.bulk_create(
        Line(
            contract=c,
            offer=offer,
            number=n,
            status="active",
            activated_at=timezone.make_aware(datetime(2026, 9, 1, 9, 0)),
        )
        for c, n in zip(contracts, numbers, strict=True)
    )


def _worker(tmp_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "DEBUG": "false",
        "HTTPS": "false",
        "EMAIL_BACKEND": "tests.mail_spool.SpoolEmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "OUTBOX_STALE_SECONDS": str(STALE_SECONDS),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(  # noqa: S603  (our own worker command)
        celery_command(
            "-A",
            "portal",
            "worker",
            "-Q",
            "celery,documents",
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


def _all_delivered() -> bool:
    return (
        Invoice.objects.count() == ACCOUNTS
        and not Invoice.objects.filter(pdf="").exists()
        and not Invoice.objects.filter(emailed_at__isnull=True).exists()
        and BillingRun.objects.filter(status="done").exists()
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r9_1_worker_killed_mid_run_then_beat_alone_gives_one_pdf_and_one_mail_each(
    grid, celery_app_on_broker, settings, tmp_path
):
    settings.BILLING_BATCH_SIZE = 50
    settings.OUTBOX_STALE_SECONDS = STALE_SECONDS
    settings.EMAIL_BACKEND = "tests.mail_spool.SpoolEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    _accounts()
    celery_app_on_broker(BROKER)
    try:
        worker = _worker(tmp_path)
        try:
            billing_run_start(period=OCTOBER)
            # Killed in the middle: some invoices billed and some mailed, most not.
            assert _wait_for(lambda: len(spooled(tmp_path / "mail")) >= 30, 300)
            os.killpg(worker.pid, signal.SIGKILL)  # no warm shutdown, its message unacked
            worker.wait(30)
        finally:
            _kill(worker)
        killed_at = (Invoice.objects.count(), Invoice.objects.exclude(pdf="").count())
        assert killed_at[1] < ACCOUNTS, "the worker finished before it was killed"

        worker = _worker(tmp_path)
        try:
            # No rerun by hand: what beat does, every few seconds instead of every 5 minutes.
            def recovered() -> bool:
                if _all_delivered():
                    return True
                redeliver_billing.delay()
                time.sleep(STALE_SECONDS)
                return _all_delivered()

            assert _wait_for(recovered, 900), (
                Invoice.objects.count(),
                Invoice.objects.filter(pdf="").count(),
                Invoice.objects.filter(emailed_at__isnull=True).count(),
            )
            redeliver_billing.delay()  # once more after the end: nothing is sent twice
            time.sleep(2 * STALE_SECONDS)
        finally:
            _kill(worker)
        run = BillingRun.objects.get()
        assert (run.status, run.accounts_done, run.accounts_total) == ("done", ACCOUNTS, ACCOUNTS)
        invoices = list(Invoice.objects.values_list("pk", "number", "pdf", "contract_id"))
    finally:
        connection.close()
    assert len(invoices) == ACCOUNTS
    assert len({contract for *_, contract in invoices}) == ACCOUNTS
    assert len({pdf for _, _, pdf, _ in invoices}) == ACCOUNTS
    for _, _, pdf, _ in invoices:
        assert (tmp_path / "private" / pdf).read_bytes().startswith(b"%PDF")
    # Exactly one mail per invoice.
    messages = [email.message_from_bytes(p.read_bytes()) for p in spooled(tmp_path / "mail")]
    sent = sorted(m["Message-ID"] for m in messages)
    assert len(sent) == ACCOUNTS
    assert len(set(sent)) == ACCOUNTS
    numbers = sorted(int(number.split("-")[1]) for _, number, _, _ in invoices)
    assert numbers == list(range(1, ACCOUNTS + 1))
