"""Reads of consents and of staff accesses, reused by the pages, the admin and the senders."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from privacy.models import Consent, Purpose
from subscriptions.models import Customer

# With no choice recorded: R21.2 and R21.3 allow traffic data for offers and sharing with
# partners unless the customer opposes; direct marketing by e-mail, SMS or call is asked for.
DEFAULT_GRANTED: dict[str, bool] = {
    Purpose.MARKETING_EMAIL: False,
    Purpose.MARKETING_SMS: False,
    Purpose.MARKETING_CALLS: False,
    Purpose.TRAFFIC_OFFERS: True,
    Purpose.PARTNERS: True,
}


@dataclass(frozen=True)
class PurposeState:
    purpose: str
    label: str
    granted: bool
    since: datetime | None  # None: nothing recorded, the default applies
    channel: str


def consent_history(customer: Customer) -> QuerySet[Consent]:
    """Every choice of the customer, newest first, as it was given."""
    return customer.consents.select_related("actor").order_by("-at", "-pk")


def consent_state(customer: Customer) -> dict[str, PurposeState]:
    """The current choice per purpose: the latest row, else the default (one query)."""
    latest: dict[str, Consent] = {}
    for row in Consent.objects.filter(customer=customer).order_by("at", "pk"):
        latest[row.purpose] = row
    return {
        purpose.value: PurposeState(
            purpose=purpose.value,
            label=str(purpose.label),
            granted=latest[purpose].granted if purpose in latest else DEFAULT_GRANTED[purpose],
            since=latest[purpose].at if purpose in latest else None,
            channel=latest[purpose].get_channel_display() if purpose in latest else "",
        )
        for purpose in Purpose
    }


def consent_granted(customer_id: int, purpose: str) -> bool:
    """Whether the customer's data may be used for `purpose` now (R21.2, R21.3)."""
    latest = (
        Consent.objects.filter(customer_id=customer_id, purpose=purpose)
        .order_by("-at", "-pk")
        .values_list("granted", flat=True)
        .first()
    )
    return DEFAULT_GRANTED[purpose] if latest is None else latest


def consents_granted(*, customer_ids: list[int], purposes: set[str]) -> dict[tuple[int, str], bool]:
    """`consent_granted` for many customers and purposes at once (one query)."""
    state = {(c, p): DEFAULT_GRANTED[p] for c in customer_ids for p in purposes}
    rows = (
        Consent.objects.filter(customer_id__in=customer_ids, purpose__in=purposes)
        .order_by("at", "pk")
        .values_list("customer_id", "purpose", "granted")
    )
    for customer_id, purpose, granted in rows:
        state[customer_id, purpose] = granted
    return state
