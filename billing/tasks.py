from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from billing.credit import credit_control_sweep
from billing.delivery import paper_batch_build
from billing.documents import invoice_email_send, invoice_pdf_render
from billing.invoicing import Period
from billing.models import BillingRun, Invoice
from billing.outbox import billing_redeliver
from billing.services import billing_run_batch, billing_run_start
from billing.usage_import import usage_import_run
from lib.tasks import OUTAGE_RETRY

# Issue 16: a retry waits long enough for a database or broker outage to end; whatever gives
# up is queued again by `redeliver_billing` from what the database says is still to do.
RETRY = OUTAGE_RETRY


@shared_task(**RETRY)
def bill_accounts(run_id: int, contract_ids: list[int]) -> int:
    """A batch of a billing run; safe to run again (an invoiced account is skipped)."""
    return billing_run_batch(run_id=run_id, contract_ids=contract_ids)


@shared_task
def start_monthly_billing() -> int:
    """Beat, on the 1st: bill the month that just ended."""
    previous = timezone.localdate().replace(day=1) - timedelta(days=1)
    return billing_run_start(period=Period.month(previous)).pk


@shared_task(**RETRY)
def render_and_send_invoice(invoice_id: int) -> bool:
    """After an invoice is issued: its PDF, rendered once, e-mailed to the customer once (a
    failed sending gives its claim back, so the retry sends it)."""
    return invoice_email_send(invoice_id=invoice_id)


@shared_task(acks_late=True)
def send_invoices(invoice_ids: list[int]) -> int:
    """After a billing batch: each invoice's PDF and mail, one after the other; one that fails
    goes to its own task, which retries it alone."""
    sent = 0
    for invoice_id in invoice_ids:
        try:
            sent += invoice_email_send(invoice_id=invoice_id)
        except Exception:
            render_and_send_invoice.delay(invoice_id)
    return sent


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def run_credit_control() -> int:
    """Beat, daily: R11.2 advance payment requests for accounts over their limit or late."""
    return len(credit_control_sweep(today=timezone.localdate()))


@shared_task(**RETRY)
def render_document(invoice_id: int) -> None:
    """After a credit note is issued: its PDF, rendered once and stored like an invoice's."""
    invoice_pdf_render(Invoice.objects.get(pk=invoice_id))


@shared_task(**RETRY)
def build_paper_batch(run_id: int) -> bool:
    """Once a run is done: one printable PDF of its paper invoices, stored on the run once."""
    return bool(paper_batch_build(run=BillingRun.objects.get(pk=run_id)).paper_batch)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def send_billing_notices(notice_ids: list[int]) -> int:
    """Warnings before suspension and payment receipts; a retry sends only those not sent."""
    from billing.notices import billing_notice_send

    return sum(billing_notice_send(pk) for pk in notice_ids)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def warn_before_suspension() -> int:
    """Beat, daily: R10.4, customers whose lines an unpaid invoice suspends within the grid's
    days are told, once per invoice."""
    from billing.notices import suspension_warnings_record

    return len(suspension_warnings_record(today=timezone.localdate()))


@shared_task
def resend_billing_notices() -> int:
    """Beat: notices whose queued send was lost (a worker killed) are queued again; their
    claim makes a second send harmless."""
    from billing.notices import billing_notices_to_send

    ids = billing_notices_to_send(created_before=timezone.now() - timedelta(minutes=10))
    if ids:
        send_billing_notices.delay(ids)
    return len(ids)


@shared_task
def redeliver_billing() -> dict[str, int]:
    """Beat, every 5 minutes: invoices without their PDF or mail, runs left running, paper
    batches missing or incomplete and usage imports without progress are queued again
    (billing/outbox.py)."""
    return billing_redeliver()


@shared_task(**RETRY)
def import_usage_file(import_id: int) -> int:
    """A stored usage file, imported chunk after chunk (issue 16); a retry or a second delivery
    goes on from the last chunk committed."""
    return usage_import_run(import_id).rows_total
