"""TMF events: made once from what changed (new bills, bill states, privacy choices), then
delivered to each subscriber through an outbox, signed and retried with backoff."""

import enum
import time
import urllib.request
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from api.bills import BILL_VALUES, bill_tmf, bills_visible
from api.http import json_bytes
from api.models import BillStateSeen, Event, EventCursor, EventDelivery, Hub, Scope
from api.privacy_tmf import consents_by_customer, profile_tmf
from billing.models import PaymentAllocation
from privacy.delivery import signature
from privacy.models import Consent
from subscriptions.models import Customer

HTTP_TIMEOUT_SECONDS = 10
LEASE = timedelta(seconds=HTTP_TIMEOUT_SECONDS * 3)
RETRY_BASE_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600
# A scan reads again what changed shortly before the last one: a change committed late is
# still seen, and the states already told make it harmless.
SCAN_OVERLAP = timedelta(minutes=10)
BATCH = 500

READ_SCOPE: dict[str, Scope] = {
    Hub.Api.BILLS: Scope.BILLS_READ,
    Hub.Api.PRIVACY: Scope.PRIVACY_READ,
}
D = EventDelivery.Status


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    NOT_DUE = "not_due"


def events_base() -> str:
    """Events carry absolute links when the public address is known (API_PUBLIC_URL)."""
    return settings.API_PUBLIC_URL.rstrip("/")


def hub_wants(hub: Hub, event_type: str) -> bool:
    """TMF's `query` on a hub: `eventType=A,B` limits it to those events."""
    for part in hub.query.split("&"):
        name, _sep, value = part.partition("=")
        if name.strip() == "eventType" and value:
            return event_type in {v.strip() for v in value.split(",")}
    return True


def hubs_live(api: str) -> list[Hub]:
    return list(
        Hub.objects.filter(api=api, deleted_at__isnull=True, key__revoked_at__isnull=True)
        .select_related("key")
        .order_by("pk")
    )


def event_add(
    *,
    api: str,
    event_type: str,
    customer: Customer,
    dedupe_key: str,
    body: dict,
    hubs: list[Hub],
    occurred_at: datetime,
) -> list[EventDelivery]:
    """The event, once (its key), with a delivery per hub that existed when it occurred and
    may read that customer (its key's scope and boutique); nothing when no hub wants it."""
    wanted = [
        hub
        for hub in hubs
        if hub.created_at <= occurred_at
        and READ_SCOPE[api] in hub.key.scopes
        and hub.key.boutique_id in (None, customer.boutique_id)
        and hub_wants(hub, event_type)
    ]
    if not wanted:
        return []
    event, created = Event.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={"api": api, "event_type": event_type, "customer": customer},
    )
    if not created:
        return []
    payload = {
        "@type": event_type,
        "id": str(event.event_id),
        "eventId": str(event.event_id),
        "eventTime": timezone.localtime(event.created_at).isoformat(),
        "eventType": event_type,
        "timeOccurred": timezone.localtime(occurred_at).isoformat(),
        "domain": api,
        "event": body,
    }
    event.payload = json_bytes(payload).decode()
    event.save(update_fields=["payload"])
    now = timezone.now()
    return EventDelivery.objects.bulk_create(
        EventDelivery(event=event, hub=hub, next_attempt_at=now) for hub in wanted
    )


def _cursor(name: str) -> EventCursor:
    EventCursor.objects.get_or_create(name=name)
    return EventCursor.objects.select_for_update().get(name=name)


def _bill_events(now, hubs: list[Hub]) -> list[EventDelivery]:
    cursor = _cursor("bill_states")
    since = (cursor.last_at or now - timedelta(days=1)) - SCAN_OVERLAP
    bills = bills_visible(None)
    fields = (*BILL_VALUES, "contract__customer_id")
    base = events_base()
    deliveries: list[EventDelivery] = []
    new = bills.filter(~Exists(BillStateSeen.objects.filter(invoice=OuterRef("pk"))))
    rows = list(new.order_by("pk").values(*fields)[:BATCH])
    customers = Customer.objects.in_bulk({row["contract__customer_id"] for row in rows})
    for row in rows:
        BillStateSeen.objects.create(invoice_id=row["pk"], state=row["state"])
        if hubs:
            deliveries += event_add(
                api=Hub.Api.BILLS,
                event_type="CustomerBillCreateEvent",
                customer=customers[row["contract__customer_id"]],
                dedupe_key=f"bill-create:{row['pk']}",
                body={"customerBill": bill_tmf(row, base)},
                hubs=hubs,
                occurred_at=row["created_at"],
            )
    paid = PaymentAllocation.objects.filter(
        Q(payment__recorded_at__gte=since) | Q(payment__reversed_at__gte=since)
    ).values("invoice_id")
    changed = bills.filter(Q(emailed_at__gte=since) | Q(pk__in=paid)).annotate(
        seen=BillStateSeen.objects.filter(invoice=OuterRef("pk")).values("state")[:1]
    )
    rows = list(
        changed.exclude(seen=F("state")).exclude(seen__isnull=True).order_by("pk").values(*fields)
    )
    customers = Customer.objects.in_bulk({row["contract__customer_id"] for row in rows})
    for row in rows:
        seen = BillStateSeen.objects.select_for_update().get(invoice_id=row["pk"])
        seen.state, seen.changes = row["state"], seen.changes + 1
        seen.save(update_fields=["state", "changes"])
        if hubs:
            deliveries += event_add(
                api=Hub.Api.BILLS,
                event_type="CustomerBillStateChangeEvent",
                customer=customers[row["contract__customer_id"]],
                dedupe_key=f"bill-state:{row['pk']}:{seen.changes}",
                body={"customerBill": bill_tmf(row, base)},
                hubs=hubs,
                occurred_at=now,
            )
    cursor.last_at = now
    cursor.save(update_fields=["last_at"])
    return deliveries


def _privacy_events(hubs: list[Hub]) -> list[EventDelivery]:
    cursor = _cursor("consents")
    rows = list(
        Consent.objects.filter(pk__gt=cursor.last_id)
        .order_by("pk")
        .values_list("pk", "customer_id")[:BATCH]
    )
    if not rows:
        return []
    latest: dict[int, int] = defaultdict(int)
    for consent_id, customer_id in rows:
        latest[customer_id] = max(latest[customer_id], consent_id)
    deliveries: list[EventDelivery] = []
    if hubs:
        histories = consents_by_customer(list(latest))
        base = events_base()
        for customer in Customer.objects.filter(pk__in=list(latest)).order_by("pk"):
            history = [c for c in histories[customer.pk] if c.pk <= latest[customer.pk]]
            deliveries += event_add(
                api=Hub.Api.PRIVACY,
                event_type="PartyPrivacyProfileAttributeValueChangeEvent",
                customer=customer,
                dedupe_key=f"privacy:{customer.pk}:{latest[customer.pk]}",
                body={"partyPrivacyProfile": profile_tmf(customer, history, base)},
                hubs=hubs,
                occurred_at=history[-1].at,
            )
    cursor.last_id = rows[-1][0]
    cursor.save(update_fields=["last_id"])
    return deliveries


def events_collect() -> list[int]:
    """Make the events of what changed since the last scan and their deliveries; two scans at
    once take turns (the cursors' row locks). Returns the deliveries to send."""
    now = timezone.now()
    with transaction.atomic():
        deliveries = _bill_events(now, hubs_live(Hub.Api.BILLS))
        deliveries += _privacy_events(hubs_live(Hub.Api.PRIVACY))
    return [delivery.pk for delivery in deliveries]


def retry_delay(attempts: int) -> float:
    return min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def delivery_claim(delivery_id: int) -> bool:
    """A conditional update: one attempt at a time, never after an acknowledgement, never to a
    deleted hub or for a revoked key."""
    now = timezone.now()
    return (
        EventDelivery.objects.filter(
            pk=delivery_id,
            status=D.PENDING,
            next_attempt_at__lte=now,
            hub__deleted_at__isnull=True,
            hub__key__revoked_at__isnull=True,
        ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
        == 1
    )


def _post(delivery: EventDelivery) -> None:
    hub = delivery.hub
    if not hub.callback.startswith(("https://", "http://")):
        raise ValueError("A callback is an HTTP(S) URL.")
    body = delivery.event.payload.encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        hub.callback,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": str(delivery.event.event_id),
            "X-Portal-Timestamp": timestamp,
            "X-Portal-Signature": signature(hub.secret, timestamp, body),
        },
    )
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
        response.read()


def delivery_attempt(*, delivery_id: int) -> Outcome:
    """One attempt: claim, post outside any transaction, record the answer."""
    if not delivery_claim(delivery_id):
        return Outcome.NOT_DUE
    delivery = EventDelivery.objects.select_related("event", "hub").get(pk=delivery_id)
    try:
        _post(delivery)
    except (OSError, ValueError) as error:
        EventDelivery.objects.filter(pk=delivery.pk, status=D.PENDING).update(
            next_attempt_at=timezone.now() + timedelta(seconds=retry_delay(delivery.attempts)),
            last_error=str(error)[:255],
        )
        return Outcome.FAILED
    EventDelivery.objects.filter(pk=delivery.pk, status=D.PENDING).update(
        status=D.DELIVERED, delivered_at=timezone.now(), last_error=""
    )
    return Outcome.DELIVERED


def deliveries_due() -> list[int]:
    """Pending deliveries whose time has come (their task was lost, or a retry is due)."""
    return list(
        EventDelivery.objects.filter(
            status=D.PENDING,
            next_attempt_at__lte=timezone.now(),
            hub__deleted_at__isnull=True,
            hub__key__revoked_at__isnull=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
