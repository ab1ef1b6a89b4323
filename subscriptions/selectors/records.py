"""Reads of customers and lines reused by pages and the admin."""

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from subscriptions.models import Customer, Line, LineOption, PrepaidAccount


def lines_of_customer(customer: Customer) -> QuerySet[Line]:
    """A customer's lines with offer, number and current options: three queries for any count."""
    today = timezone.localdate()
    current_options = LineOption.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=today)
    ).select_related("option")
    return (
        Line.objects.filter(contract__customer=customer)
        .select_related("offer", "number", "contract")
        .prefetch_related(
            Prefetch("line_options", queryset=current_options, to_attr="current_options")
        )
        .order_by("created_at")
    )


def customer_of_account(user) -> Customer | None:
    """The customer whose portal account this is, if the account holder is a customer yet.

    Read through the user's one-to-one accessor, whose answer (a customer or none) the user
    object keeps: the page's menu (base.html, `user.customer`) then reads it without a query."""
    if not user.is_authenticated:
        return None
    try:
        return user.customer
    except Customer.DoesNotExist:
        return None


def prepaid_account_of(line: Line) -> PrepaidAccount | None:
    """The recharge account of a line, None for a line that never had one (postpaid)."""
    return PrepaidAccount.objects.filter(line=line).first()
