"""Invoices by e-mail or on paper: the account's choice, and the printable batch of a run.

The choice is a field of the account (`Contract.invoice_delivery`). A change is recorded in the
admin's history of the account (Django's LogEntry), whether the customer made it in the portal
(`invoice_delivery_set`) or an agent in the Contract admin (which logs its changes itself).

Paper invoices are not e-mailed (billing/documents.py); once a run is done their stored PDFs are
put end to end in one printable PDF, in the order of the post (postal code, then name).
"""

import io

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.files.base import ContentFile
from pypdf import PdfReader, PdfWriter

from accounts.models import User
from billing.documents import invoice_pdf_render
from billing.models import BillingRun, Invoice
from subscriptions.models import Contract

PAPER = Contract.InvoiceDelivery.PAPER


def invoice_delivery_set(*, contract: Contract, delivery: str, actor: User) -> bool:
    """Send the account's invoices by e-mail or on paper from now on; False if nothing changed."""
    if delivery not in Contract.InvoiceDelivery.values:
        raise ValueError(f"Unknown delivery {delivery!r}")
    before = contract.invoice_delivery
    changed = (
        Contract.objects.filter(pk=contract.pk)
        .exclude(invoice_delivery=delivery)
        .update(invoice_delivery=delivery)
    )
    if not changed:
        return False
    contract.invoice_delivery = delivery
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[contract],
        action_flag=CHANGE,
        change_message=(
            f"Invoices sent: {Contract.InvoiceDelivery(before).label} → "
            f"{Contract.InvoiceDelivery(delivery).label} (portal)"
        ),
        single_object=True,
    )
    return True


def paper_invoices(run: BillingRun):
    """The run's invoices of paper accounts, in the order of the post."""
    return (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            period_start=run.period_start,
            contract__invoice_delivery=PAPER,
        )
        .select_related("contract__customer")
        .order_by("contract__customer__postal_code", "customer_name", "number")
    )


def paper_batch_due(run: BillingRun) -> bool:
    """Issue 16: a finished run's printable batch is to (re)build when it is missing or holds
    fewer invoices than the run's paper invoices (one was missing when it was built)."""
    if run.status != BillingRun.Status.DONE:
        return False
    count = paper_invoices(run).count()
    return bool(count) and (not run.paper_batch or run.paper_batch_invoices != count)


def paper_batch_build(*, run: BillingRun) -> BillingRun:
    """Store one PDF of the run's paper invoices once the run is done, every invoice with its
    PDF (a missing one is rendered first and stored, like on download); built again when the
    run has paper invoices the stored batch does not hold. Outside any transaction."""
    run.refresh_from_db()
    if not paper_batch_due(run):
        return run
    invoices = list(paper_invoices(run))
    writer = PdfWriter()
    for invoice in invoices:
        invoice = invoice_pdf_render(invoice)
        with invoice.pdf.open("rb") as stored:
            writer.append(PdfReader(io.BytesIO(stored.read())))
    out = io.BytesIO()
    writer.write(out)
    storage = run.paper_batch.storage
    name = storage.save(f"paper/{run.period_start:%Y-%m}.pdf", ContentFile(out.getvalue()))
    # Claimed like an invoice's PDF: a second builder racing this one deletes its own copy; a
    # rebuild replaces the batch it read, and the older file goes.
    previous = run.paper_batch.name or ""
    if BillingRun.objects.filter(pk=run.pk, paper_batch=previous).update(
        paper_batch=name, paper_batch_invoices=len(invoices)
    ):
        if previous:
            storage.delete(previous)
    else:
        storage.delete(name)
    run.refresh_from_db()
    return run
