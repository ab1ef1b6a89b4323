"""Reads of billing shared by the customer pages."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypeAlias, TypedDict, cast

from django.db.models import Case, CharField, F, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.formats import date_format

from billing.charges import ChargeKind
from billing.models import Charge, Invoice, Payment, PaymentAllocation
from billing.payments import LIVE
from lib.money import ZERO, format_tnd
from subscriptions.models import Contract, Customer


class InvoiceShown(TypedDict):
    """What the customer's invoice list adds to each invoice: `paid`, `due` and `status` from
    invoices_of_customer, the texts and links from invoice_list_rows."""

    paid: Decimal
    due: Decimal
    status: str
    start_text: str
    end_text: str
    issued_text: str
    due_on_text: str
    total_text: str
    due_text: str
    pdf_url: str
    copy_url: str


class AccountSums(TypedDict):
    """What account_balances_of_customer's query adds to each account."""

    invoiced: Decimal
    received: Decimal
    allocated: Decimal


if TYPE_CHECKING:  # django-stubs' helper, installed with the checker only
    from django_stubs_ext import WithAnnotations

    ListedInvoice: TypeAlias = WithAnnotations[Invoice, InvoiceShown]
    SummedContract: TypeAlias = WithAnnotations[Contract, AccountSums]

# A primary key no row has, reversed once into a URL whose other invoices' URLs are made from.
_PK_MARK = 2147483647


def invoices_of_customer(customer: Customer, *, today: date) -> "QuerySet[ListedInvoice]":
    """The customer's invoices and credit notes, newest first, in one query whatever their
    number. Each has `due` (what is still owed on it) and `status`: "credit_note" for a credit
    note; for an invoice "paid" once live payments and credit notes cover its total incl. tax
    (a reversed payment, R9.4, no longer counts), else "overdue" after its due date (R9.3),
    else "due"."""
    credit_note = Invoice.Kind.CREDIT_NOTE
    listed = (
        Invoice.objects.filter(contract__customer=customer)
        .select_related("corrects", "einvoice")  # its TTN submission, if it goes to TTN
        .annotate(paid=Coalesce(Sum("allocations__amount", filter=LIVE), ZERO))
        .annotate(
            due=Case(
                When(kind=credit_note, then=Value(ZERO)),
                default=F("total_incl_tax") - F("paid"),
            ),
            status=Case(
                When(kind=credit_note, then=Value("credit_note")),
                When(paid__gte=F("total_incl_tax"), then=Value("paid")),
                When(due_on__lt=today, then=Value("overdue")),
                default=Value("due"),
                output_field=CharField(),
            ),
        )
        .order_by("-issued_on", "-number")
    )
    return cast("QuerySet[ListedInvoice]", listed)  # its texts come with invoice_list_rows


def _url_maker(name: str):
    """`pk -> URL` of the named route with one integer argument, reversed once per page."""
    prefix, suffix = reverse(name, args=[_PK_MARK]).split(str(_PK_MARK))
    return lambda pk: f"{prefix}{pk}{suffix}"


def invoice_list_rows(invoices: Iterable["ListedInvoice"]) -> list["ListedInvoice"]:
    """The invoices of the customer's list with what it shows computed once per page rather
    than by template filters row by row: the dates in the language's short format (a date
    several invoices share is formatted once), the amounts, the links. In the language of the
    request (call it while rendering)."""
    dates: dict[date, str] = {}
    amounts: dict[Decimal, str] = {}

    def short(day: date) -> str:
        if day not in dates:
            dates[day] = date_format(day, "SHORT_DATE_FORMAT")
        return dates[day]

    def money(amount: Decimal) -> str:
        if amount not in amounts:
            amounts[amount] = format_tnd(amount)
        return amounts[amount]

    pdf_url, copy_url = _url_maker("portal:invoice_pdf"), _url_maker("portal:invoice_copy")
    rows = list(invoices)
    for invoice in rows:
        invoice.start_text = short(invoice.period_start)
        invoice.end_text = short(invoice.period_end)
        invoice.issued_text = short(invoice.issued_on)
        invoice.due_on_text = short(invoice.due_on)
        invoice.total_text = money(invoice.total_incl_tax)
        invoice.due_text = money(invoice.due)
        invoice.pdf_url = pdf_url(invoice.pk)
        invoice.copy_url = copy_url(invoice.pk)
    return rows


@dataclass(frozen=True)
class AccountBalance:
    contract: Contract
    owed: Decimal  # what its invoices still owe
    credit: Decimal  # money received (or credited) that no invoice has used yet

    @property
    def balance(self) -> Decimal:
        """Owed minus credit: negative when the account is in credit."""
        return self.owed - self.credit


def account_balances_of_customer(customer: Customer) -> list[AccountBalance]:
    """Each account of the customer with what it owes and its credit, in one query.

    Allocations never exceed an invoice's total nor a payment's amount, so what is owed is the
    invoices' totals minus the live allocations, and the credit the live payments minus them.
    The query is written in SQL: the ORM spent longer building its three subqueries at every
    page than the database answering them (issue 17).
    """
    contract, invoice = Contract._meta.db_table, Invoice._meta.db_table
    payment, allocation = Payment._meta.db_table, PaymentAllocation._meta.db_table
    contracts = Contract.objects.raw(
        f"""
        SELECT c.*,
            coalesce((SELECT sum(i.total_incl_tax) FROM {invoice} i
                      WHERE i.contract_id = c.id AND i.kind = %(invoice)s), %(zero)s) AS invoiced,
            coalesce((SELECT sum(p.amount) FROM {payment} p
                      WHERE p.contract_id = c.id AND p.reversed_at IS NULL), %(zero)s) AS received,
            coalesce((SELECT sum(a.amount) FROM {allocation} a
                      JOIN {payment} p ON p.id = a.payment_id
                      WHERE p.contract_id = c.id AND p.reversed_at IS NULL), %(zero)s) AS allocated
        FROM {contract} c WHERE c.customer_id = %(customer)s ORDER BY c.reference
        """,  # noqa: S608  (table names from the models, values as parameters)
        {"invoice": Invoice.Kind.INVOICE.value, "zero": ZERO, "customer": customer.pk},
    )
    summed = cast("Iterable[SummedContract]", contracts)  # the SELECT adds the three sums
    return [AccountBalance(c, c.invoiced - c.allocated, c.received - c.allocated) for c in summed]


def documents_of_customer(customer: Customer) -> QuerySet[Invoice]:
    """The customer's invoices and credit notes, for their downloads: nobody else's."""
    return Invoice.objects.filter(contract__customer=customer).select_related("contract")


def detailed_bill_asked(invoice: Invoice) -> bool:
    """R9.5: whether the customer asked (and is charged) for the invoice's detailed bill."""
    return Charge.objects.filter(copy_of=invoice, fee_kind=ChargeKind.DETAILED_BILLING).exists()
