"""Issue 16, points 1 and 2: invoices reach their customer after any fault, and runs finish
themselves. The database says what is still to do; the beat job (billing.tasks.
redeliver_billing) queues it again, and each step claims its result, so nothing is done twice."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from billing.documents import invoice_email_send
from billing.models import BillingRun, BillingRunAccount, Invoice
from billing.outbox import billing_redeliver, invoice_message_id
from billing.services import billing_run_batch, billing_run_start
from billing.tasks import bill_accounts, redeliver_billing
from subscriptions.models import Contract
from tests.billing.helpers import OCTOBER, account, march_invoice, paper_account
from tests.fault_servers import free_port
from tests.mail_spool import spooled
from tests.worker_process import database_url

# Each test stores its PDFs in its own directory.
pytestmark = pytest.mark.usefixtures("private_storage")


@pytest.fixture
def spool(settings, tmp_path):
    settings.EMAIL_BACKEND = "tests.mail_spool.SpoolEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def test_an_invoice_whose_mail_was_never_sent_is_mailed_by_the_beat_job(alice, settings):
    invoice = march_invoice(alice)  # its queued message was lost: no PDF, no mail
    assert not invoice.pdf and invoice.emailed_at is None
    mail.outbox = []
    settings.OUTBOX_STALE_SECONDS = 300
    assert billing_redeliver()["invoices"] == 0  # a message may still be in the queue
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert redeliver_billing.delay().get()["invoices"] == 1
        assert billing_redeliver()["invoices"] == 0  # done: not queued again
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.emailed_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == invoice_message_id(invoice)
    assert invoice.email_message_id == invoice_message_id(invoice)


def test_a_fresh_claim_is_left_to_its_worker(alice, settings):
    invoice = march_invoice(alice)
    Invoice.objects.filter(pk=invoice.pk).update(email_claimed_at=timezone.now())
    mail.outbox = []
    assert invoice_email_send(invoice_id=invoice.pk) is False
    assert mail.outbox == []


def test_a_claim_of_a_dead_worker_is_sent_again_when_the_backend_does_not_have_it(
    alice, settings, spool
):
    invoice = march_invoice(alice)
    settings.OUTBOX_STALE_SECONDS = 300
    Invoice.objects.filter(pk=invoice.pk).update(
        email_claimed_at=timezone.now() - timedelta(minutes=10)  # the worker died before sending
    )
    billing_redeliver()
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None
    assert len(spooled(spool)) == 1


def test_a_claim_of_a_dead_worker_whose_mail_went_out_is_not_sent_twice(alice, settings, spool):
    invoice = march_invoice(alice)
    assert invoice_email_send(invoice_id=invoice.pk) is True
    # The worker died after the backend took the mail, before it recorded the sending.
    Invoice.objects.filter(pk=invoice.pk).update(
        emailed_at=None, email_claimed_at=timezone.now() - timedelta(minutes=10)
    )
    settings.OUTBOX_STALE_SECONDS = 300
    assert billing_redeliver()["invoices"] == 1
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None
    assert len(spooled(spool)) == 1


def test_a_paper_account_or_one_without_address_is_not_queued_for_mail(alice, settings):
    invoice = march_invoice(alice)
    Contract.objects.filter(pk=invoice.contract_id).update(
        invoice_delivery=Contract.InvoiceDelivery.PAPER
    )
    settings.OUTBOX_STALE_SECONDS = 0
    assert billing_redeliver()["invoices"] == 1  # its PDF only
    assert billing_redeliver()["invoices"] == 0


def test_r9_1_a_run_left_running_by_lost_batches_resumes_from_beat(
    grid, settings, monkeypatch, django_capture_on_commit_callbacks
):
    lines = [account() for _ in range(3)]
    with monkeypatch.context() as broker_down:
        broker_down.setattr(bill_accounts, "delay", lambda *args: None)  # the batch is lost
        run = billing_run_start(period=OCTOBER)
    run.refresh_from_db()
    assert (run.status, run.accounts_done, run.accounts_total) == ("running", 0, 3)
    settings.OUTBOX_STALE_SECONDS = 300
    assert billing_redeliver()["runs"] == 0  # its batches may still be on their way
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=6)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert billing_redeliver()["runs"] == 1
    run.refresh_from_db()
    assert (run.status, run.accounts_done, run.accounts_total) == ("done", 3, 3)
    assert Invoice.objects.filter(contract__lines__in=lines).count() == 3


def test_r9_1_a_batch_delivered_twice_counts_once(grid, monkeypatch):
    lines = [account() for _ in range(2)]
    monkeypatch.setattr(bill_accounts, "delay", lambda *args: None)
    run = billing_run_start(period=OCTOBER)
    ids = [line.contract_id for line in lines]
    assert billing_run_batch(run_id=run.pk, contract_ids=ids) == 2
    assert billing_run_batch(run_id=run.pk, contract_ids=ids) == 0  # the same message again
    run.refresh_from_db()
    assert (run.status, run.accounts_done, run.accounts_total) == ("done", 2, 2)
    assert BillingRunAccount.objects.filter(run=run).count() == 2
    assert Invoice.objects.filter(period_start=OCTOBER.start).count() == 2


def test_r9_1_a_batch_that_loses_the_database_is_retried_whole_not_recorded_in_error(
    grid, monkeypatch
):
    lines = [account() for _ in range(2)]
    monkeypatch.setattr(bill_accounts, "delay", lambda *args: None)
    run = billing_run_start(period=OCTOBER)
    ids = [line.contract_id for line in lines]

    def connection_lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as database_away:
        database_away.setattr("billing.services.invoices_issue", connection_lost)
        with pytest.raises(OperationalError):  # the task retries it (billing/tasks.py)
            billing_run_batch(run_id=run.pk, contract_ids=ids)
    run.refresh_from_db()
    assert (run.status, run.accounts_done, run.errors) == ("running", 0, [])
    assert billing_run_batch(run_id=run.pk, contract_ids=ids) == 2  # the retry, the database back
    run.refresh_from_db()
    assert (run.status, run.accounts_done, run.errors) == ("done", 2, [])


def test_a_paper_batch_missing_an_invoice_is_rebuilt(
    grid, settings, django_capture_on_commit_callbacks
):
    paper_account("1000", "Tounsi")
    with django_capture_on_commit_callbacks(execute=True):
        run = billing_run_start(period=OCTOBER)
    run.refresh_from_db()
    assert run.paper_batch and run.paper_batch_invoices == 1
    first = run.paper_batch.name
    # An account billed after the batch was built (its invoice was missing from it).
    late = paper_account("2000", "Tardif")
    with django_capture_on_commit_callbacks(execute=True):
        billing_run_start(period=OCTOBER)
    run.refresh_from_db()
    if run.paper_batch_invoices != 2:  # not rebuilt at the end of the run: the beat job does
        settings.OUTBOX_STALE_SECONDS = 0
        assert billing_redeliver()["paper_batches"] == 1
        run.refresh_from_db()
    assert run.paper_batch_invoices == 2 and run.paper_batch.name != first
    assert Invoice.objects.get(contract=late).pdf  # every paper invoice has its PDF
    settings.OUTBOX_STALE_SECONDS = 0
    assert billing_redeliver()["paper_batches"] == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_billing_run_with_the_broker_down_exits_with_a_message_and_the_run_resumes(grid, settings):
    account()
    # The command as an operator types it, the broker's port closed.
    command = subprocess.run(
        [sys.executable, "manage.py", "billing_run", "--period", "2026-10"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
            "DEBUG": "false",
            "HTTPS": "false",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert command.returncode == 1
    assert "Traceback" not in command.stderr
    assert "broker does not answer" in command.stderr
    assert "resumes by itself" in command.stderr
    run = BillingRun.objects.get(period_start=OCTOBER.start)
    assert (run.status, run.accounts_total, run.accounts_done) == ("running", 1, 0)
    settings.OUTBOX_STALE_SECONDS = 0
    billing_redeliver()  # the broker is back (eager here): beat resumes the run
    run.refresh_from_db()
    assert (run.status, run.accounts_done) == ("done", 1)
    assert Invoice.objects.filter(period_start=OCTOBER.start).count() == 1
