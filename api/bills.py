"""TMF678 Customer Bill, read side: the invoices, their lines and the monthly runs as TM Forum
shapes, each page in a constant number of queries."""

import calendar
import functools
from collections.abc import Mapping
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from api.tmf import BILLS_BASE, instant, local_start, money, period, ref
from billing.models import BillingRun, Invoice, InvoiceLine
from einvoicing.models import Submission
from lib.money import ZERO, tnd

LIVE = Q(allocations__payment__reversed_at__isnull=True)
# What the invoice asks, less the advance payments it deducts (R11.2): `Invoice.amount_due`.
ADVANCE = LIVE & Q(allocations__payment__is_advance=True)

# Built once: Django copies an expression as it resolves it in a query.
IN_RUN = Exists(BillingRun.objects.filter(period_start=OuterRef("period_start")))
# The signed TEIF document exists once the e-invoice was built (einvoicing).
HAS_XML = Exists(Submission.objects.filter(invoice=OuterRef("pk")).exclude(xml=""))

# TMF's CustomerBillStateType from the invoice: frozen at issue ("validated"), e-mailed ("sent"),
# partly or wholly paid by live payments and credit notes; a credit note owes nothing.
# "new" and "onHold" are not used: an invoice is never drafted nor held.
STATES = ["validated", "sent", "partiallyPaid", "settled"]

RATE_TYPES: dict[str, str] = {
    InvoiceLine.Kind.SUBSCRIPTION: "recurringCharge",
    InvoiceLine.Kind.OPTION: "recurringCharge",
    InvoiceLine.Kind.USAGE: "usageCharge",
    InvoiceLine.Kind.ONE_OFF: "oneTimeCharge",
    InvoiceLine.Kind.MINIMUM: "recurringCharge",
    InvoiceLine.Kind.CARRIED_DEBT: "oneTimeCharge",
}


def bills_of(boutique_id: int | None) -> QuerySet[Invoice]:
    """The invoices and credit notes a key may read: its boutique's customers' when it has one
    (as they are: to filter and count)."""
    invoices = Invoice.objects.all()
    if boutique_id is not None:
        invoices = invoices.filter(contract__customer__boutique_id=boutique_id)
    return invoices


def bills_annotated(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each with `paid`, `advance`, `state`, `in_run`, `has_xml` and `account` (one query for a
    page), newest first."""
    return (
        invoices.annotate(
            account=F("contract__reference"),
            paid=Coalesce(Sum("allocations__amount", filter=LIVE), ZERO),
            advance=Coalesce(Sum("allocations__amount", filter=ADVANCE), ZERO),
            in_run=IN_RUN,
            has_xml=HAS_XML,
        )
        .annotate(
            state=Case(
                When(kind=Invoice.Kind.CREDIT_NOTE, then=Value("settled")),
                When(paid__gte=F("total_incl_tax"), then=Value("settled")),
                When(paid__gt=0, then=Value("partiallyPaid")),
                When(emailed_at__isnull=False, then=Value("sent")),
                default=Value("validated"),
                output_field=CharField(),
            ),
        )
        .order_by("-issued_on", "-pk")
    )


def bills_visible(boutique_id: int | None) -> QuerySet[Invoice]:
    return bills_annotated(bills_of(boutique_id))


# What `bill_tmf` reads of each invoice: rows of `bills_annotated(...).values(*BILL_VALUES)`,
# not model instances (a page of 100 builds no model).
BILL_VALUES = (
    "pk",
    "kind",
    "is_final",
    "number",
    "issued_on",
    "due_on",
    "created_at",
    "period_start",
    "period_end",
    "total_excl_tax",
    "total_incl_tax",
    "vat_rate",
    "vat_amount",
    "stamp_duty",
    "account",
    "paid",
    "advance",
    "in_run",
    "has_xml",
    "state",
)


def bill_href(base: str, invoice_id: int) -> str:
    return f"{base}{BILLS_BASE}/customerBill/{invoice_id}"


def account_ref(base: str, reference: str) -> dict:
    return ref(
        "BillingAccountRef",
        reference,
        f"{base}{BILLS_BASE}/customerBill?billingAccount.id={reference}",
        name=reference,
        ratingType="postpaid",
    )


@functools.lru_cache(maxsize=256)
def _tax_items(vat_rate: Decimal, vat: Decimal, stamp: Decimal) -> list[dict]:
    return [
        {
            "@type": "TaxItem",
            "taxCategory": "VAT",
            "taxRate": float(vat_rate),
            "taxAmount": money(vat),
        },
        {"@type": "TaxItem", "taxCategory": "stampDuty", "taxAmount": money(stamp)},
    ]


def bill_tmf(row: Mapping[str, Any], base: str, zone: tzinfo | None = None) -> dict:
    """One invoice (a row of `BILL_VALUES`) as a TMF CustomerBill."""
    zone = zone or timezone.get_current_timezone()
    pk = row["pk"]
    href = f"{base}{BILLS_BASE}/customerBill/{pk}"
    total = row["total_incl_tax"]
    credit_note = row["kind"] == Invoice.Kind.CREDIT_NOTE
    due = ZERO if credit_note else total - row["advance"]
    remaining = ZERO if credit_note else max(total - row["paid"], ZERO)
    regular = row["in_run"] and not row["is_final"]
    bill = {
        "id": str(pk),
        "href": href,
        "@type": "CustomerBill",
        "billNo": row["number"],
        "category": "creditNote" if credit_note else ("last" if row["is_final"] else "normal"),
        "runType": "onCycle" if regular else "offCycle",
        "state": row["state"],
        "billDate": local_start(row["issued_on"], zone),
        "lastUpdate": instant(row["created_at"], zone),
        "paymentDueDate": local_start(row["due_on"], zone),
        "billingPeriod": period(row["period_start"], row["period_end"], zone),
        "billingAccount": account_ref(base, row["account"]),
        "amountDue": money(due),
        "remainingAmount": money(remaining),
        "taxExcludedAmount": money(row["total_excl_tax"]),
        "taxIncludedAmount": money(total),
        "taxItem": _tax_items(row["vat_rate"], row["vat_amount"], row["stamp_duty"]),
        "billDocument": bill_documents(href, row["number"], row["has_xml"]),
    }
    if regular and not credit_note:
        cycle = f"{row['period_start']:%Y-%m}"
        bill["billCycle"] = ref(
            "BillCycleRef", cycle, f"{base}{BILLS_BASE}/billCycle/{cycle}", name=cycle
        )
    return bill


def bill_documents(href: str, number: str, has_xml: bool) -> list[dict]:
    """The bill's PDF, and its signed TEIF XML (the electronic invoice) once it exists."""
    documents = [_document(f"{href}/document", f"{number}.pdf", "PDF")]
    if has_xml:
        documents.append(_document(f"{href}/document.xml", f"{number}.xml", "TEIF XML"))
    return documents


def _document(url: str, name: str, description: str) -> dict:
    return {
        "@type": "AttachmentRef",
        "@referredType": "Attachment",
        "id": name,
        "href": url,
        "url": url,
        "name": name,
        "description": description,
    }


def rates_visible(boutique_id: int | None) -> QuerySet[InvoiceLine]:
    lines = InvoiceLine.objects.all()
    if boutique_id is not None:
        lines = lines.filter(invoice__contract__customer__boutique_id=boutique_id)
    return lines.select_related("invoice__contract", "line__number").order_by("invoice_id", "pk")


def rate_tmf(row: InvoiceLine, base: str) -> dict:
    """A line of an invoice (a fee, an option, usage beyond allowances, a one-off charge) as a
    TMF AppliedCustomerBillingRate: billed, on its bill."""
    invoice = row.invoice
    vat = tnd(row.amount_excl_tax * invoice.vat_rate) if row.taxable else ZERO
    rate = {
        "id": str(row.pk),
        "href": f"{base}{BILLS_BASE}/appliedCustomerBillingRate/{row.pk}",
        "@type": "AppliedCustomerBillingRate",
        "name": row.label,
        "description": str(row.get_kind_display()),
        "appliedBillingRateType": RATE_TYPES[row.kind],
        "date": local_start(invoice.issued_on),
        "isBilled": True,
        "bill": ref(
            "CustomerBillRef",
            str(invoice.pk),
            bill_href(base, invoice.pk),
            name=invoice.number,
        ),
        "billingAccount": account_ref(base, invoice.contract.reference),
        "periodCoverage": period(invoice.period_start, invoice.period_end),
        "taxExcludedAmount": money(row.amount_excl_tax),
        "taxIncludedAmount": money(row.amount_excl_tax + vat),
        "appliedTax": (
            [
                {
                    "@type": "AppliedBillingTaxRate",
                    "taxCategory": "VAT",
                    "taxRate": float(invoice.vat_rate),
                    "taxAmount": money(vat),
                }
            ]
            if row.taxable
            else []
        ),
        "characteristic": [
            {
                "@type": "NumberCharacteristic",
                "name": "quantity",
                "valueType": "number",
                "value": row.quantity,
            },
            {
                "@type": "NumberCharacteristic",
                "name": "unitPriceExcludingTax",
                "valueType": "number",
                "value": tnd(row.unit_price),
            },
        ],
    }
    if row.line is not None:
        rate["product"] = {
            "id": str(row.line_id),
            "@type": "ProductRef",
            "@referredType": "Product",
            "name": row.line.number.msisdn,
        }
    return rate


def cycle_tmf(run: BillingRun, base: str) -> dict:
    """A monthly billing run as a TMF BillCycle."""
    start = run.period_start
    last = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    cycle = f"{start:%Y-%m}"
    item = {
        "id": cycle,
        "href": f"{base}{BILLS_BASE}/billCycle/{cycle}",
        "@type": "BillCycle",
        "name": cycle,
        "billingPeriod": cycle,
        "description": run.get_status_display(),
        "billingDate": instant(run.started_at),
        "validFor": period(start, last),
    }
    if run.finished_at is not None:
        item["mailingDate"] = instant(run.finished_at)
    return item
