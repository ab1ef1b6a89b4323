"""Reads of termination requests and notices reused by the pages, the admin and the services."""

from datetime import date

from django.db.models import QuerySet

from subscriptions.models import Customer
from terminations.models import ConditionsNotice, TerminationRequest
from terminations.rules import line_termination_terms

LIVE_REQUEST = (TerminationRequest.Status.PREPARED, TerminationRequest.Status.RECEIVED)


def customer_notices(customer: Customer) -> list[ConditionsNotice]:
    return list(
        ConditionsNotice.objects.filter(customer=customer, notified_at__isnull=False)
        .select_related("change")
        .prefetch_related("change__offers")
    )


def request_terms(request: TerminationRequest, *, on: date | None = None) -> list[tuple]:
    """Each line of the request with its terms: frozen ones once the letter is received, else
    the preview from `on` (the expected receipt date by default)."""
    items = list(request.lines.select_related("line__number", "line__offer", "final_invoice"))
    if request.received_on:
        return [(item, None) for item in items]
    notices = customer_notices(request.customer)
    day = on or request.expected_receipt_on
    return [
        (
            item,
            line_termination_terms(
                line=item.line, motive=request.motive, received_on=day, notices=notices
            ),
        )
        for item in items
    ]


def open_requests_of_customer(customer: Customer) -> QuerySet[TerminationRequest]:
    """The requests the dashboard tracks until they end."""
    return (
        TerminationRequest.objects.filter(customer=customer, status__in=LIVE_REQUEST)
        .prefetch_related("lines__line__number")
        .order_by("-prepared_at")
    )
