"""Reads of billing shared by the customer pages."""

from datetime import date

from django.db.models import Case, CharField, F, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from billing.models import Invoice
from billing.money import ZERO
from billing.payments import LIVE
from subscriptions.models import Customer


def invoices_of_customer(customer: Customer, *, today: date) -> QuerySet[Invoice]:
    """The customer's invoices, newest first, each with `status` in one query whatever their
    number: "paid" once live payments cover its total incl. tax (a reversed payment, R9.4, no
    longer counts), else "overdue" after its due date (R9.3), else "due"."""
    return (
        Invoice.objects.filter(contract__customer=customer, kind=Invoice.Kind.INVOICE)
        .annotate(paid=Coalesce(Sum("allocations__amount", filter=LIVE), ZERO))
        .annotate(
            status=Case(
                When(paid__gte=F("total_incl_tax"), then=Value("paid")),
                When(due_on__lt=today, then=Value("overdue")),
                default=Value("due"),
                output_field=CharField(),
            )
        )
        .order_by("-issued_on", "-number")
    )


def documents_of_customer(customer: Customer) -> QuerySet[Invoice]:
    """The customer's invoices and credit notes, for their downloads: nobody else's."""
    return Invoice.objects.filter(contract__customer=customer).select_related("contract")
