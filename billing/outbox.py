"""Issue 16: nothing lost when things break. The database says what is still to do, and a beat
job (`billing.tasks.redeliver_billing`, every 5 minutes) queues it again; the queued messages
are only a fast path.

- An invoice's PDF is to do while `Invoice.pdf` is empty; its e-mail while `emailed_at` is
  empty (an e-mail account with an address), unless a worker claimed it less than
  OUTBOX_STALE_SECONDS ago (`email_claimed_at`). A claim older than that is a dead worker's.
  Each step claims its result (billing/documents.py), so queueing one twice does nothing twice.
- A billing run still `running` with no progress for OUTBOX_STALE_SECONDS (a broker or database
  outage lost its batches) is started again: only the accounts not yet invoiced are queued, and
  its progress counts its account rows, so nothing counts twice.
- A finished run's printable batch is (re)built when it is missing or holds fewer invoices than
  the run's paper invoices (billing/delivery.py).
- A usage import still `queued` or `importing` with no progress for OUTBOX_STALE_SECONDS (its
  worker died, its message was lost) is queued again: it reads on after its last committed
  chunk, and a run that finds another one ahead of it stops, so each chunk counts once
  (billing/usage_import.py).
"""

import logging
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from billing.models import BillingRun, Invoice, UsageImport
from lib.tasks import dispatch, outbox_stale
from subscriptions.models import Contract

logger = logging.getLogger(__name__)


def invoice_message_id(invoice: Invoice) -> str:
    """The invoice mail's Message-ID, the same at every attempt (a resent mail is the same
    mail to the provider and to the customer's mail reader)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<invoice-{invoice.pk}-{invoice.number}@{domain}>"


def provider_has_sent(message_id: str) -> bool:
    """Whether the mail backend already accepted this message: asked of a backend that can say
    (`message_sent(message_id)`); one that cannot (SMTP) is taken not to have it."""
    lookup = getattr(get_connection(), "message_sent", None)
    return bool(lookup and lookup(message_id))


def invoices_to_render(before) -> QuerySet[Invoice]:
    """Invoices and credit notes issued before `before` and still without their PDF."""
    return Invoice.objects.filter(pdf="", created_at__lt=before)


def invoices_to_mail(before) -> QuerySet[Invoice]:
    """Invoices to e-mail whose mail is neither sent nor claimed since `before`."""
    return (
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, emailed_at__isnull=True)
        .exclude(contract__invoice_delivery=Contract.InvoiceDelivery.PAPER)
        .filter(Q(contract__customer__email__gt="") | Q(contract__customer__user__email__gt=""))
        .filter(
            Q(email_claimed_at__isnull=True, created_at__lt=before) | Q(email_claimed_at__lt=before)
        )
    )


def runs_to_resume(before) -> QuerySet[BillingRun]:
    return BillingRun.objects.filter(status=BillingRun.Status.RUNNING, updated_at__lt=before)


def imports_to_resume(before) -> QuerySet[UsageImport]:
    """Usage imports not finished and without progress since `before`."""
    return UsageImport.objects.filter(
        status__in=[UsageImport.Status.QUEUED, UsageImport.Status.IMPORTING],
        updated_at__lt=before,
    )


def billing_redeliver(*, limit: int = 5000) -> dict[str, int]:
    """Queue again what the database says is still to do (see the module's docstring); what is
    queued twice is done once. Returns how many of each were queued."""
    from billing.delivery import paper_batch_due
    from billing.invoicing import Period
    from billing.services import billing_run_start

    before = timezone.now() - outbox_stale()
    resumed = 0
    for run in runs_to_resume(before):
        logger.warning("billing run %s resumes after %s without progress", run, outbox_stale())
        billing_run_start(period=Period.month(run.period_start))
        resumed += 1
    invoice_ids = set(
        invoices_to_render(before)
        .filter(kind=Invoice.Kind.INVOICE)
        .values_list("pk", flat=True)[:limit]
    )
    invoice_ids |= set(invoices_to_mail(before).values_list("pk", flat=True)[:limit])
    queued = sorted(invoice_ids)[:limit]
    for start in range(0, len(queued), 100):
        dispatch("billing.tasks.send_invoices", queued[start : start + 100])
    credit_notes = list(
        invoices_to_render(before)
        .filter(kind=Invoice.Kind.CREDIT_NOTE)
        .values_list("pk", flat=True)[:limit]
    )
    for pk in credit_notes:
        dispatch("billing.tasks.render_document", pk)
    batches = 0
    for run in BillingRun.objects.filter(status=BillingRun.Status.DONE, updated_at__lt=before):
        if paper_batch_due(run):
            dispatch("billing.tasks.build_paper_batch", run.pk)
            batches += 1
    imports = list(imports_to_resume(before).values_list("pk", flat=True))
    for pk in imports:
        dispatch("billing.tasks.import_usage_file", pk)
    if queued or credit_notes or resumed or batches or imports:
        logger.warning(
            "outbox: %s invoices, %s credit notes, %s runs, %s paper batches, %s usage imports "
            "queued again",
            len(queued),
            len(credit_notes),
            resumed,
            batches,
            len(imports),
        )
    return {
        "invoices": len(queued),
        "credit_notes": len(credit_notes),
        "runs": resumed,
        "paper_batches": batches,
        "usage_imports": len(imports),
    }
