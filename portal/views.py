"""Customer pages: the offers, the dashboard of lines, a line's page, the invoices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from billing.delivery import invoice_delivery_set
from billing.documents import invoice_pdf_render
from billing.models import Invoice
from billing.selectors import (
    account_balances_of_customer,
    documents_of_customer,
    invoice_list_rows,
    invoices_of_customer,
)
from billing.services import invoice_copy_request
from catalogue.models import Fee
from catalogue.selectors import fee_amount, grid_parameters, offers_on_sale, options_on_sale
from portal.forms import InvoiceDeliveryForm
from subscriptions.forms import OptionRequestForm
from subscriptions.models import Contract, Customer, IdentityCheck, Line
from subscriptions.selectors import customer_of_account, lines_of_customer
from subscriptions.services import IDENTITY_CHECKS, OptionRefused
from subscriptions.services import line_option_add as line_option_add_service
from terminations.selectors import open_requests_of_customer


def _get_customer(request: HttpRequest) -> Customer:
    """The signed-in person's customer record; staff and accounts without one get 404."""
    try:
        return request.user.customer
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


def _get_line_for_customer(request: HttpRequest, pk: int) -> Line:
    """A line of the signed-in customer, or 404: another customer's line does not exist for them."""
    return get_object_or_404(lines_of_customer(_get_customer(request)), pk=pk)


def _get_invoice_for_customer(request: HttpRequest, pk: int) -> Invoice:
    """An invoice of the signed-in customer, or 404 (R6.5)."""
    return get_object_or_404(documents_of_customer(_get_customer(request)), pk=pk)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    options = options_on_sale(on=today)
    return render(
        request,
        "portal/home.html",
        {
            "offers": offers_on_sale(on=today),
            "options": [card for card in options if card.option.kind == "option"],
            "passes": [card for card in options if card.option.kind == "pass"],
            "vat_percent": grid_parameters(on=today).vat_rate * 100,
        },
    )


@require_safe
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The customer's lines and subscription files; a newcomer sees only their files."""
    customer = customer_of_account(request.user)  # read once: base.html's menu reuses it
    return render(
        request,
        "portal/dashboard.html",
        {
            "customer": customer,
            "lines": lines_of_customer(customer) if customer else [],
            "files": request.user.subscription_files.exclude(status="draft").order_by("-pk"),
            "terminations": open_requests_of_customer(customer) if customer else [],
        },
    )


@require_safe
@login_required
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    line = _get_line_for_customer(request, pk)
    return render(
        request,
        "portal/line_detail.html",
        {"line": line, "history": line.status_changes.order_by("-at", "-pk")[:20]},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def line_option_add(request: HttpRequest, pk: int) -> HttpResponse:
    """R3.3, R4.2: the customer confirms their identity, then takes an option from today."""
    line = _get_line_for_customer(request, pk)
    form = OptionRequestForm(request.POST or None, line=line)
    if request.method == "POST" and form.is_valid():
        try:
            line_option_add_service(
                line=line,
                option=form.cleaned_data["option"],
                actor=request.user,
                channel=IdentityCheck.Channel.PORTAL,
                checks={name: True for name in IDENTITY_CHECKS},
            )
        except OptionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("The option is active from today."))
            return redirect("portal:line_detail", pk=line.pk)
    return render(
        request,
        "portal/line_option_add.html",
        {"line": line, "form": form, "customer": line.contract.customer},
    )


@require_safe
@login_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    """Invoices and credit notes with what is still due on each, and each account's balance
    and choice of e-mail or paper."""
    customer = _get_customer(request)
    return render(
        request,
        "portal/invoice_list.html",
        {
            "invoices": invoice_list_rows(
                invoices_of_customer(customer, today=timezone.localdate())
            ),
            "accounts": account_balances_of_customer(customer),
            "deliveries": Contract.InvoiceDelivery.choices,
        },
    )


@require_POST
@login_required
def invoice_delivery(request: HttpRequest) -> HttpResponse:
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


def _document_name(invoice: Invoice) -> str:
    return "avoir" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "facture"


@require_safe
@login_required
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice's stored PDF; the first download renders it if the mail task has not yet."""
    invoice = invoice_pdf_render(_get_invoice_for_customer(request, pk))
    response = FileResponse(
        invoice.pdf.open("rb"),
        as_attachment=True,
        filename=f"{_document_name(invoice)}-{invoice.number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invoice_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """R9.5: the customer asks for a duplicate or a detailed bill, charged per the grid."""
    invoice = _get_invoice_for_customer(request, pk)
    today = timezone.localdate()
    fees = {
        "duplicate": fee_amount(Fee.Kind.DUPLICATE_INVOICE, on=today),
        "detailed": fee_amount(Fee.Kind.DETAILED_BILLING, on=today),
    }
    if request.method == "POST" and request.POST.get("kind") in fees:
        invoice_copy_request(invoice=invoice, detailed=request.POST["kind"] == "detailed")
        messages.success(
            request, _("Your request is recorded: its fee will be on your next invoice.")
        )
        return redirect("portal:invoice_pdf", pk=invoice.pk)
    return render(request, "portal/invoice_copy.html", {"invoice": invoice, "fees": fees})
