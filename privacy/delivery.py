"""Delivery of objections to their recipients (R21.3): the outbox rows of
`ObjectionDelivery`, each claimed by one attempt at a time, signed, retried with backoff until
the recipient acknowledges it."""

import enum
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from privacy.models import ObjectionDelivery, Recipient, SuppressionEntry
from subscriptions.models import Line

HTTP_TIMEOUT_SECONDS = 10
# While an attempt runs, its row is leased: no other worker posts the same message meanwhile.
LEASE = timedelta(seconds=HTTP_TIMEOUT_SECONDS * 3)
MAX_BACKOFF_SECONDS = 3600  # below Redis' visibility timeout, so a delayed retry is not redelivered

D = ObjectionDelivery.Status


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    FAILED = "failed"
    NOT_DUE = "not_due"  # delivered already, or another attempt holds it, or backing off


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt: doubling from the configured base, capped."""
    base = settings.PRIVACY_DELIVERY_RETRY_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


def delivery_claim(delivery_id: int) -> bool:
    """Claim a due attempt with a conditional update: two workers never post the same message
    at the same time."""
    now = timezone.now()
    return (
        ObjectionDelivery.objects.filter(
            pk=delivery_id, status=D.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
        == 1
    )


def delivery_payload(delivery: ObjectionDelivery) -> bytes:
    consent = delivery.consent
    numbers = Line.objects.filter(contract__customer_id=consent.customer_id).exclude(
        status=Line.Status.TERMINATED
    )
    return json.dumps(
        {
            "event": "objection",
            "idempotency_key": str(delivery.idempotency_key),
            "purpose": consent.purpose,
            "objected_at": consent.at.isoformat(),
            "customer": {
                "id": consent.customer_id,
                "msisdns": sorted(numbers.values_list("number__msisdn", flat=True)),
            },
        },
        sort_keys=True,
    ).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of "<timestamp>.<body>", which the recipient recomputes with the secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _post(delivery: ObjectionDelivery) -> None:
    recipient = delivery.recipient
    if not recipient.endpoint_url.startswith(("https://", "http://")):
        raise ValueError("A recipient's endpoint is an HTTP(S) URL.")
    body = delivery_payload(delivery)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        recipient.endpoint_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": str(delivery.idempotency_key),
            "X-Portal-Timestamp": timestamp,
            "X-Portal-Signature": signature(recipient.secret, timestamp, body),
        },
    )
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
        response.read()  # a 2xx answer is the acknowledgement; urlopen raises on the others


def _mark_delivered(delivery: ObjectionDelivery) -> None:
    ObjectionDelivery.objects.filter(pk=delivery.pk, status=D.PENDING).update(
        status=D.DELIVERED, delivered_at=timezone.now(), last_error=""
    )


def delivery_attempt(*, delivery_id: int) -> Outcome:
    """One attempt: claim, deliver outside any transaction, record the answer."""
    if not delivery_claim(delivery_id):
        return Outcome.NOT_DUE
    delivery = ObjectionDelivery.objects.select_related("consent", "recipient").get(pk=delivery_id)
    if delivery.recipient.kind == Recipient.Kind.INTERNAL:
        with transaction.atomic():
            SuppressionEntry.objects.get_or_create(
                delivery=delivery,
                defaults={
                    "recipient": delivery.recipient,
                    "customer_id": delivery.consent.customer_id,
                    "purpose": delivery.consent.purpose,
                },
            )
            _mark_delivered(delivery)
        return Outcome.DELIVERED
    try:
        _post(delivery)
    except (OSError, ValueError) as error:  # URLError and HTTPError are OSErrors
        ObjectionDelivery.objects.filter(pk=delivery.pk, status=D.PENDING).update(
            next_attempt_at=timezone.now() + timedelta(seconds=retry_delay(delivery.attempts)),
            last_error=str(error)[:255],
        )
        return Outcome.FAILED
    _mark_delivered(delivery)
    return Outcome.DELIVERED


def deliveries_overdue(*, late_by: timedelta) -> list[int]:
    """Pending deliveries whose retry should have run long ago: their task was lost (a worker
    died, the broker was flushed); the sweeper enqueues them again."""
    return list(
        ObjectionDelivery.objects.filter(
            status=D.PENDING, next_attempt_at__lte=timezone.now() - late_by
        ).values_list("pk", flat=True)[:1000]
    )
