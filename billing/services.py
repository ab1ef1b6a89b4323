"""Billing runs: one per calendar month, fanned out to Celery in batches of accounts."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.invoicing import Period, accounts_to_bill, invoices_issue
from billing.models import BillingRun, Charge, Invoice
from catalogue.models import Fee
from catalogue.selectors import fee_amount


def issue_date(period: Period) -> date:
    """Invoices of a month are dated the day after it, or today for a late run."""
    return max(timezone.localdate(), period.end + timedelta(days=1))


def billing_run_start(*, period: Period) -> BillingRun:
    """Start (or restart) the run of a month: the accounts not yet invoiced are queued."""
    from billing.tasks import bill_accounts  # the tasks module imports this one

    with transaction.atomic():
        run, _ = BillingRun.objects.select_for_update().get_or_create(period_start=period.start)
        ids = list(accounts_to_bill(period))
        run.accounts_total = run.accounts_done + len(ids)
        run.status = BillingRun.Status.RUNNING if ids else BillingRun.Status.DONE
        run.finished_at = None if ids else timezone.now()
        run.save()
        size = settings.BILLING_BATCH_SIZE
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            transaction.on_commit(lambda batch=batch: bill_accounts.delay(run.pk, batch))
    return run


def billing_run_batch(*, run_id: int, contract_ids: list[int]) -> int:
    """Bill a batch of accounts at once; when the batch fails, each account is tried alone so
    that one faulty account is reported and the others are billed."""
    from billing.tasks import build_paper_batch  # the tasks module imports this one

    run = BillingRun.objects.get(pk=run_id)
    period = Period.month(run.period_start)
    issued_on = issue_date(period)
    errors = []
    try:
        issued = len(invoices_issue(contract_ids=contract_ids, period=period, issued_on=issued_on))
    except Exception:
        issued = 0
        for contract_id in contract_ids:
            try:
                issued += len(
                    invoices_issue(contract_ids=[contract_id], period=period, issued_on=issued_on)
                )
            except Exception as error:
                errors.append({"account": contract_id, "error": f"{type(error).__name__}: {error}"})
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run_id)
        run.accounts_done = F("accounts_done") + len(contract_ids)
        run.errors = [*run.errors, *errors]
        run.save(update_fields=["accounts_done", "errors"])
        run.refresh_from_db()
        if run.accounts_done >= run.accounts_total and run.status == BillingRun.Status.RUNNING:
            run.status, run.finished_at = BillingRun.Status.DONE, timezone.now()
            run.save(update_fields=["status", "finished_at"])
            # The run is done: the paper invoices go to print in one PDF (billing/delivery.py).
            transaction.on_commit(lambda: build_paper_batch.delay(run_id), robust=True)
    return issued


def invoice_copy_request(*, invoice: Invoice, detailed: bool) -> Charge:
    """R9.5: a duplicate or a detailed bill, on request, charged per the grid on the next
    invoice."""
    today = timezone.localdate()
    kind = Fee.Kind.DETAILED_BILLING if detailed else Fee.Kind.DUPLICATE_INVOICE
    with translation.override(invoice.language):  # the next invoice's line, in its language
        if detailed:
            label = _("Detailed bill %(number)s") % {"number": invoice.number}
        else:
            label = _("Duplicate of invoice %(number)s") % {"number": invoice.number}
    return Charge.objects.create(
        contract_id=invoice.contract_id,
        fee_kind=kind,
        label=label,
        amount=fee_amount(kind, on=today),
        charged_on=today,
    )
