"""PDF rendering: one invoice with 40 usage lines, a blank page, and two processes in parallel."""

import multiprocessing
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connections
from django.utils import timezone
from weasyprint import HTML

from billing.documents import invoice_usage
from billing.invoicing import Period, invoice_issue
from billing.models import UsageImport, UsageRecord
from catalogue.models import Offer
from portal.pdf import render_pdf
from subscriptions.models import Contract, Line
from tests.factories import ContractFactory, CustomerFactory, LineFactory

INVOICES = 200  # rendered by two processes for pdf_invoices_per_s
USAGE_LINES = 40


def _invoice():
    offer = Offer.objects.get(code="forfait-liberte-20")
    line = LineFactory(contract=ContractFactory(customer=CustomerFactory()), offer=offer)
    Line.objects.filter(pk=line.pk).update(
        status="active", activated_at=timezone.make_aware(datetime(2026, 9, 1, 9, 0))
    )
    upload = UsageImport.objects.create(name="bench-pdf")
    start = timezone.make_aware(datetime(2026, 10, 1, 8, 0))
    UsageRecord.objects.bulk_create(
        UsageRecord(
            line=line,
            started_at=start + timedelta(hours=17 * k),
            kind="voice",
            destination="+21671000000",
            quantity=Decimal(5),
            unit_price=Decimal("0.120"),
            usage_import=upload,
            record_key=f"bench-pdf-{line.pk}-{k}",
        )
        for k in range(USAGE_LINES)
    )
    contract = Contract.objects.get(pk=line.contract_id)
    return invoice_issue(
        contract_id=contract.pk, period=Period.month(date(2026, 10, 1)), issued_on=date(2026, 11, 1)
    )


def _context(invoice) -> dict:
    return {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "usage": list(invoice_usage(invoice)),
        "advance_deducted": Decimal("0.000"),
        "vat_percent": invoice.vat_rate * 100,
        "operator": settings.OPERATOR,
    }


def _render_many(args) -> int:
    context, count = args
    for _ in range(count):
        render_pdf("billing/invoice.html", context, language="fr")
    return count


def run(report, median_ms) -> None:
    invoice = _invoice()
    context = _context(invoice)
    report(
        "pdf_invoice_ms", median_ms(lambda: render_pdf("billing/invoice.html", context), 15), "ms"
    )
    report("pdf_blank_ms", median_ms(lambda: HTML(string="<p></p>").write_pdf(), 15), "ms")
    connections.close_all()  # the workers are forked: they must not share this connection
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        done = sum(pool.map(_render_many, [(context, INVOICES // 2)] * 2))
    report("pdf_invoices_per_s", done / (time.perf_counter() - started), "invoices/s")
