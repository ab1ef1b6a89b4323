"""The invoice as a PDF (R9.3) and its e-mail: each made once, whatever runs twice or at once.

The PDF is rendered from the invoice's frozen snapshot, in the invoice's language, and stored;
an invoice that has a stored PDF is never rendered again, so the document a customer downloads
is the one that was e-mailed to them.
"""

from datetime import datetime, time, timedelta
from typing import IO, cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F, Q
from django.http import FileResponse
from django.utils import timezone, translation

from billing.invoice_text import UsageRow, amounts_aligned, usage_groups
from billing.models import Invoice, UsageRecord
from billing.outbox import invoice_message_id, provider_has_sent
from billing.rating import usage_marked
from lib.downloads import private_download
from lib.emails import send_templated
from lib.money import format_tnd
from lib.pdf import render_pdf
from lib.tasks import outbox_stale


def invoice_pdf_name(invoice: Invoice) -> str:
    return f"invoices/{invoice.issued_on:%Y}/{invoice.number}.pdf"


# The usage records' fields the text and the passes' marking read (values, no model objects).
USAGE_FIELDS = ("line_id", "kind", "started_at", "destination", "country", "quantity", "unit_price")


def invoice_usage(invoice: Invoice) -> list[UsageRow]:
    """The detail of usage of the invoice's period, line by line, in time order, as the values
    the text needs (billing/invoice_text.UsageRow, and the line's id and the country)."""
    start = timezone.make_aware(datetime.combine(invoice.period_start, time.min))
    end = timezone.make_aware(datetime.combine(invoice.period_end + timedelta(days=1), time.min))
    # R1.2: usage a pass includes shows at 0.000 with the pass's name.
    marked = usage_marked(
        list(
            UsageRecord.objects.filter(
                line__contract_id=invoice.contract_id, started_at__gte=start, started_at__lt=end
            )
            .order_by("line__number__msisdn", "started_at", "pk")
            .values(*USAGE_FIELDS, msisdn=F("line__number__msisdn"))
        )
    )
    return cast(list[UsageRow], marked)


# What the invoice's template shows of each of its lines, read as values.
LINE_FIELDS = ("label", "quantity", "unit_price", "amount_excl_tax")


def invoice_pdf_document(
    invoice: Invoice, *, einvoice: dict | None = None, detailed: bool = False
) -> bytes:
    """The invoice's PDF from its snapshot and its lines, in its language; not stored
    (invoice_pdf_render() stores it once). `einvoice`: TTN's reference and QR code (SVG) of the
    registered copy (einvoicing/services.py). `detailed`: R9.5, the detailed bill, which adds
    every record of the period's usage; the customer asks for it, and pays for it, invoice by
    invoice (the invoice itself sums the usage beyond the allowances by kind and price)."""
    advance_deducted = invoice.advance_deducted
    amount_due = invoice.total_incl_tax - advance_deducted  # Invoice.amount_due, one query less
    amounts = [
        invoice.total_excl_tax,
        invoice.vat_amount,
        invoice.stamp_duty,
        invoice.total_incl_tax,
    ]
    if advance_deducted:  # R11.2: the totals stay as issued; the advance is shown deducted.
        amounts += [advance_deducted, amount_due]
    with translation.override(invoice.language):  # the numbers and legends of the text parts
        totals = amounts_aligned([format_tnd(amount) for amount in amounts])
        rtl = translation.get_language_info(invoice.language)["bidi"]
        usage = usage_groups(invoice_usage(invoice), rtl=rtl) if detailed else []
    return render_pdf(
        "billing/invoice.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.values(*LINE_FIELDS)),
            "totals": totals,
            "usage": usage,
            "advance_deducted": advance_deducted,
            "amount_due": amount_due,
            "vat_percent": invoice.vat_rate * 100,
            "operator": settings.OPERATOR,
            "einvoice": einvoice,
            "detailed": detailed,
        },
        language=invoice.language,
    )


def invoice_pdf_render(invoice: Invoice) -> Invoice:
    """Render and store the invoice's PDF unless it has one; returns the invoice with `pdf` set.

    Call it outside any transaction: rendering takes a fraction of a second that no row lock
    should last. There is no "rendering" claim taken before rendering (a renderer that died
    would leave it behind and need a timeout); instead the stored file is claimed: two
    renderers racing may both render, but only the first to set `pdf` keeps its file and the
    other deletes its own, so the stored name and bytes never change once set.
    """
    invoice.refresh_from_db(fields=["pdf"])  # another worker or request may have stored it
    if invoice.pdf:
        return invoice
    pdf = invoice_pdf_document(invoice)
    storage = invoice.pdf.storage
    # The storage never overwrites: a name already taken (a renderer that lost the race below,
    # or one that died before its claim) gets a suffix.
    name = storage.save(invoice_pdf_name(invoice), ContentFile(pdf))
    if not Invoice.objects.filter(pk=invoice.pk, pdf="").update(pdf=name):
        storage.delete(name)  # another renderer stored its copy first: that one stays
    invoice.refresh_from_db(fields=["pdf"])
    return invoice


def invoice_recipient(invoice: Invoice) -> str:
    """The e-mail address of the invoice's customer, or "" when they have none."""
    customer = invoice.contract.customer
    return customer.email or (customer.user.email if customer.user else "")


def invoice_email_send(*, invoice_id: int) -> bool:
    """E-mail the invoice's PDF to its customer once; False when it was already sent, when the
    account gets paper invoices or when the customer has no e-mail address (they find it in the
    portal). Outside any transaction."""
    invoice = Invoice.objects.select_related("contract__customer__user").get(pk=invoice_id)
    invoice_pdf_render(invoice)
    if invoice.contract.invoice_delivery == invoice.contract.InvoiceDelivery.PAPER:
        return False  # printed with the run's paper batch (billing/delivery.py)
    to = invoice_recipient(invoice)
    if not to:
        return False
    # Issue 16: the claim comes first so that two workers never both send; a claim older than
    # OUTBOX_STALE_SECONDS is a dead worker's and is taken over (billing/outbox.py). The mail
    # goes out with a Message-ID of its own, the same at every attempt: when the worker died
    # after the backend accepted the mail, a backend that can tell (`message_sent`) stops the
    # second sending; one that cannot gets it again (at least once).
    now = timezone.now()
    message_id = invoice_message_id(invoice)
    claimed = (
        Invoice.objects.filter(pk=invoice_id, emailed_at__isnull=True)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - outbox_stale()))
        .update(email_claimed_at=now, email_message_id=message_id)
    )
    if not claimed:
        return False
    if invoice.email_claimed_at is not None and provider_has_sent(message_id):
        Invoice.objects.filter(pk=invoice_id).update(emailed_at=now)
        return False  # the dead worker's mail went out: not sent twice
    try:
        with invoice.pdf.open("rb") as stored:
            pdf = stored.read()
        message = send_templated(
            to=to,
            template="invoice-issued",
            context={  # R11.2: the amount asked is what the advances deducted leave
                "invoice": invoice,
                "advance_deducted": invoice.advance_deducted,
                "amount_due": invoice.amount_due,
            },
            language=invoice.language,
            attachments=[(f"facture-{invoice.number}.pdf", pdf, "application/pdf")],
            headers={"Message-ID": message_id},
        )
    except Exception:
        # Nothing went out: give the claim back so that the retry sends it.
        Invoice.objects.filter(pk=invoice_id, email_claimed_at=now).update(email_claimed_at=None)
        raise
    status = getattr(message, "anymail_status", None)  # the provider's own id, when it has one
    Invoice.objects.filter(pk=invoice_id).update(
        emailed_at=timezone.now(),
        email_message_id=(status and status.message_id) or message_id,
    )
    return True


def pdf_download(invoice: Invoice, *, detailed: bool = False) -> FileResponse:
    """The invoice's PDF as a download, for whoever the caller let see it: the stored one
    (rendered on this first download if the mail task has not yet), or its detailed bill
    (R9.5), made from the invoice's frozen snapshot and its period's usage at each download
    (the caller checks that the customer asked for it)."""
    document = "avoir" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "facture"
    filename = f"{document}-{invoice.number}{'-detail' if detailed else ''}.pdf"
    if detailed:
        content: bytes | IO[bytes] = invoice_pdf_document(invoice, detailed=True)
    else:
        content = invoice_pdf_render(invoice).pdf.open("rb")
    return private_download(content, filename=filename, content_type="application/pdf")
