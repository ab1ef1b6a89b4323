"""Reads of billing shared by the customer pages."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, CharField, F, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from billing.models import Invoice, Payment, PaymentAllocation
from billing.payments import LIVE
from lib.money import ZERO
from subscriptions.models import Contract, Customer


def invoices_of_customer(customer: Customer, *, today: date) -> QuerySet[Invoice]:
    """The customer's invoices and credit notes, newest first, in one query whatever their
    number. Each has `due` (what is still owed on it) and `status`: "credit_note" for a credit
    note; for an invoice "paid" once live payments and credit notes cover its total incl. tax
    (a reversed payment, R9.4, no longer counts), else "overdue" after its due date (R9.3),
    else "due"."""
    credit_note = Invoice.Kind.CREDIT_NOTE
    return (
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


def _per_account(queryset: QuerySet, field: str, account: str) -> Subquery:
    total = queryset.filter(**{account: OuterRef("pk")}).values(account).annotate(s=Sum(field))
    return Coalesce(Subquery(total.values("s")), ZERO)


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
    """
    live = Payment.objects.filter(reversed_at__isnull=True)
    allocated = PaymentAllocation.objects.filter(payment__reversed_at__isnull=True)
    contracts = (
        Contract.objects.filter(customer=customer)
        .annotate(
            invoiced=_per_account(
                Invoice.objects.filter(kind=Invoice.Kind.INVOICE), "total_incl_tax", "contract"
            ),
            received=_per_account(live, "amount", "contract"),
            allocated=_per_account(allocated, "amount", "payment__contract"),
        )
        .order_by("reference")
    )
    return [
        AccountBalance(c, c.invoiced - c.allocated, c.received - c.allocated) for c in contracts
    ]


def documents_of_customer(customer: Customer) -> QuerySet[Invoice]:
    """The customer's invoices and credit notes, for their downloads: nobody else's."""
    return Invoice.objects.filter(contract__customer=customer).select_related("contract")
