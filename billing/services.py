"""Billing runs: one per calendar month, fanned out to Celery in batches of accounts."""

from datetime import date, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.charges import charges_add
from billing.invoicing import Period, accounts_to_bill, invoices_issue
from billing.models import BillingRun, BillingRunAccount, Charge, Invoice
from catalogue.models import Fee
from catalogue.selectors import fee_amount
from lib.tasks import enqueue


def issue_date(period: Period) -> date:
    """Invoices of a month are dated the day after it, or today for a late run."""
    return max(timezone.localdate(), period.end + timedelta(days=1))


def _progress_save(run: BillingRun, *, done_now: int | None = None) -> bool:
    """Save the run's progress: counted from its account rows at a start; after a batch, the
    count plus the rows the batch marked done (`done_now`, rows not done before: a batch
    delivered twice adds none), which costs one row instead of a count of the whole run at
    every batch. True when this call finished the run. Called with the run's row locked."""
    if done_now is None:
        counts = run.accounts.aggregate(
            total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False))
        )
        run.accounts_total, run.accounts_done = counts["total"], counts["done"]
    else:
        run.accounts_done += done_now
    finished = run.accounts_done == run.accounts_total and run.status == BillingRun.Status.RUNNING
    if finished:
        run.status, run.finished_at = BillingRun.Status.DONE, timezone.now()
    run.save(
        update_fields=["accounts_total", "accounts_done", "status", "finished_at", "updated_at"]
    )
    return finished


def billing_run_start(*, period: Period) -> BillingRun:
    """Start (or restart) the run of a month: the accounts not yet invoiced are queued."""
    with transaction.atomic():
        run, _ = BillingRun.objects.select_for_update().get_or_create(period_start=period.start)
        ids = list(accounts_to_bill(period))
        now = timezone.now()
        # R9.1: the run's own accounts. Those invoiced since an earlier start are done (their
        # batch may have been lost after its invoices were committed); those still due are
        # worked again (an earlier attempt may have failed, or been killed).
        run.accounts.exclude(contract_id__in_ids=ids).filter(done_at__isnull=True).update(
            done_at=now
        )
        run.accounts.filter(contract_id__in_ids=ids).update(done_at=None)
        BillingRunAccount.objects.bulk_create(
            (BillingRunAccount(run=run, contract_id=pk) for pk in ids),
            batch_size=5000,
            ignore_conflicts=True,
        )
        if ids:
            run.status, run.finished_at = BillingRun.Status.RUNNING, None
        if _progress_save(run) and run.accounts_total:
            enqueue("billing.tasks.build_paper_batch", run.pk, robust=True)
        size = settings.BILLING_BATCH_SIZE
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            enqueue("billing.tasks.bill_accounts", run.pk, batch)
    return run


# Issue 16: the database went away; no account is at fault: the task retries the batch (an
# account recorded in error would count as done without its invoice).
CONNECTION_LOST = (OperationalError, InterfaceError)


def billing_run_batch(*, run_id: int, contract_ids: list[int]) -> int:
    """Bill a batch of accounts at once; when the batch fails, each account is tried alone so
    that one faulty account is reported and the others are billed."""
    run = BillingRun.objects.get(pk=run_id)
    period = Period.month(run.period_start)
    issued_on = issue_date(period)
    errors = []
    try:
        issued = len(invoices_issue(contract_ids=contract_ids, period=period, issued_on=issued_on))
    except CONNECTION_LOST:
        raise
    except Exception:
        issued = 0
        for contract_id in contract_ids:
            try:
                issued += len(
                    invoices_issue(contract_ids=[contract_id], period=period, issued_on=issued_on)
                )
            except CONNECTION_LOST:
                raise
            except Exception as error:
                errors.append({"account": contract_id, "error": f"{type(error).__name__}: {error}"})
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run_id)
        done_now = run.accounts.filter(
            contract_id__in_ids=contract_ids, done_at__isnull=True
        ).update(done_at=timezone.now())
        if errors:
            run.errors = [*run.errors, *errors]
            run.save(update_fields=["errors"])
        if _progress_save(run, done_now=done_now):
            # The run is done: the paper invoices go to print in one PDF (billing/delivery.py).
            enqueue("billing.tasks.build_paper_batch", run_id, robust=True)
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
    return charges_add(
        [
            Charge(
                contract_id=invoice.contract_id,
                fee_kind=kind,
                label=label,
                amount=fee_amount(kind, on=today),
                charged_on=today,
                copy_of=invoice,
            )
        ]
    )[0]
