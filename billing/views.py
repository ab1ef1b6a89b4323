"""The customer's invoice pages: invoices and credit notes with what is due on each, the choice
of e-mail or paper, the PDF (R6.5: another customer's is a 404), a duplicate or detailed bill
(R9.5)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.requests import SignedInRequest
from billing.delivery import invoice_delivery_set
from billing.documents import pdf_download
from billing.forms import InvoiceDeliveryForm
from billing.models import Invoice
from billing.selectors import (
    account_balances_of_customer,
    detailed_bill_asked,
    documents_of_customer,
    invoice_list_rows,
    invoices_of_customer,
)
from billing.services import invoice_copy_request
from catalogue.models import Fee
from catalogue.selectors import fee_amount
from subscriptions.models import Contract, Customer

if TYPE_CHECKING:
    from billing.selectors import ListedInvoice

fragments = caches["fragments"]


def _get_customer(request: SignedInRequest) -> Customer:
    """The signed-in person's customer record; staff and accounts without one get 404."""
    try:
        return request.user.customer
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


def _get_invoice_for_customer(request: SignedInRequest, pk: int) -> Invoice:
    """An invoice of the signed-in customer, or 404 (R6.5)."""
    return get_object_or_404(documents_of_customer(_get_customer(request)), pk=pk)


@require_safe
@login_required
def invoice_list(request: SignedInRequest) -> HttpResponse:
    """Invoices and credit notes with what is still due on each, and each account's balance
    and choice of e-mail or paper."""
    customer = _get_customer(request)
    invoices = list(invoices_of_customer(customer, today=timezone.localdate()))
    return render(
        request,
        "portal/invoice_list.html",
        {
            "invoices": invoices,
            "invoice_rows": invoice_rows_html(invoices),
            "accounts": account_balances_of_customer(customer),
            "deliveries": Contract.InvoiceDelivery.choices,
        },
    )


def _row_key(invoice: ListedInvoice, language: str) -> str:
    """The key of the invoice's row: its id and the page's language, and a digest of all the row
    shows. An issued invoice's own fields never change (frozen rows): only what is still due,
    its status and its TTN submission do, and then the row gets a new key."""
    einvoice = getattr(invoice, "einvoice", None)  # None when it does not go to TTN
    shown = (
        invoice.number, invoice.period_start, invoice.period_end, invoice.issued_on,
        invoice.due_on, invoice.total_incl_tax, invoice.is_final, invoice.status, invoice.due,
        invoice.corrects.number if invoice.corrects else None,
        einvoice and (bool(einvoice.xml), einvoice.status, einvoice.ttn_reference),
    )  # fmt: skip
    digest = hashlib.blake2b(repr(shown).encode(), digest_size=12).hexdigest()
    return f"invoice-row:{invoice.pk}:{language}:{digest}"


def invoice_rows_html(invoices: list[ListedInvoice]) -> list[str]:
    """The rows of the invoice list in the request's language, read from the fragment cache in
    one call; only the rows missing from it are rendered (their display values computed once,
    billing.selectors.invoice_list_rows) and stored."""
    language = get_language()
    keys = [_row_key(invoice, language) for invoice in invoices]
    rows = fragments.get_many(keys)
    missing = [
        (key, invoice) for key, invoice in zip(keys, invoices, strict=True) if key not in rows
    ]
    invoice_list_rows(invoice for _key, invoice in missing)
    row = get_template("portal/invoice_row.html")
    rendered = {key: row.render({"invoice": invoice}) for key, invoice in missing}
    fragments.set_many(rendered)
    rows.update(rendered)
    return [mark_safe(rows[key]) for key in keys]  # noqa: S308  (our template's output)


@require_POST
@login_required
def invoice_delivery(request: SignedInRequest) -> HttpResponse:
    """The customer chooses e-mail or paper for one of their own accounts."""
    form = InvoiceDeliveryForm(request.POST, customer=_get_customer(request))
    if not form.is_valid():
        raise Http404  # an account that is not theirs, or a made-up choice
    if invoice_delivery_set(
        contract=form.cleaned_data["contract"],
        delivery=form.cleaned_data["delivery"],
        actor=request.user,
    ):
        messages.success(request, _("Your choice is recorded for your next invoices."))
    return redirect("portal:invoice_list")


@require_safe
@login_required
def invoice_pdf(request: SignedInRequest, pk: int) -> FileResponse:
    """The invoice's stored PDF; the first download renders it if the mail task has not yet."""
    return pdf_download(_get_invoice_for_customer(request, pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invoice_copy(request: SignedInRequest, pk: int) -> HttpResponse:
    """R9.5: the customer asks for a duplicate or a detailed bill, charged per the grid."""
    invoice = _get_invoice_for_customer(request, pk)
    today = timezone.localdate()
    fees = {
        "duplicate": fee_amount(Fee.Kind.DUPLICATE_INVOICE, on=today),
        "detailed": fee_amount(Fee.Kind.DETAILED_BILLING, on=today),
    }
    if request.method == "POST" and request.POST.get("kind") in fees:
        detailed = request.POST["kind"] == "detailed"
        if detailed and detailed_bill_asked(invoice):
            return redirect("portal:invoice_detailed_pdf", pk=invoice.pk)  # paid once already
        invoice_copy_request(invoice=invoice, detailed=detailed)
        messages.success(
            request, _("Your request is recorded: its fee will be on your next invoice.")
        )
        if detailed:  # R9.5: the detailed bill is theirs to download at once, and later
            return redirect("portal:invoice_copy", pk=invoice.pk)
        return redirect("portal:invoice_pdf", pk=invoice.pk)
    return render(
        request,
        "portal/invoice_copy.html",
        {"invoice": invoice, "fees": fees, "detailed_asked": detailed_bill_asked(invoice)},
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def invoice_detailed_pdf(request: SignedInRequest, pk: int) -> FileResponse:
    """R9.5: the detailed bill of an invoice, once the customer asked for it (else 404), made
    from the invoice's frozen snapshot and its period's usage at each download."""
    invoice = _get_invoice_for_customer(request, pk)
    if not detailed_bill_asked(invoice):
        raise Http404
    return pdf_download(invoice, detailed=True)
