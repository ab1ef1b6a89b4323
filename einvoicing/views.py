"""The customer's TEIF document and the PDF registered by TTN: their own invoices only (R6.5)."""

from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from billing.models import Invoice
from billing.selectors import documents_of_customer
from einvoicing.models import Submission
from einvoicing.services import registered_copy_render
from lib.downloads import private_download


def _submission_of_customer(request: HttpRequest, pk: int) -> Submission:
    """The e-invoice of an invoice of the signed-in customer, or 404: another customer's,
    staff, and an invoice that does not go to TTN or is not yet signed get the same answer."""
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise Http404
    invoice = get_object_or_404(documents_of_customer(customer), pk=pk)
    return get_object_or_404(Submission.objects.exclude(xml=""), invoice=invoice)


def _download(file: FieldFile, name: str, content_type: str) -> FileResponse:
    return private_download(file.open("rb"), filename=name, content_type=content_type)


def _name(invoice: Invoice) -> str:
    return "avoir" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "facture"


@require_safe
@login_required
def einvoice_xml(request: HttpRequest, pk: int) -> FileResponse:
    """The signed TEIF document, as sent to TTN."""
    submission = _submission_of_customer(request, pk)
    invoice = submission.invoice
    return _download(submission.xml, f"{_name(invoice)}-{invoice.number}.xml", "application/xml")


@require_safe
@login_required
def einvoice_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The PDF with TTN's reference and QR code, once TTN accepted the invoice."""
    submission = registered_copy_render(_submission_of_customer(request, pk))
    if not submission.pdf:
        raise Http404
    invoice = submission.invoice
    return _download(
        submission.pdf, f"{_name(invoice)}-{invoice.number}-ttn.pdf", "application/pdf"
    )
