"""Provisioning: what the network must apply to a line goes through an outbox (`ProvisioningOrder`)
that a Celery task sends with its idempotency key, so that a retried send is applied once.

The network side is a backend chosen by `settings.PROVISIONING_BACKEND` (like `EMAIL_BACKEND`);
`LoggingNetwork` writes each order to the log and confirms it. A line is shown restored only once
the network has confirmed its unblocking (`provisioning_confirm`).
"""

import logging
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.bulk import bulk_insert
from subscriptions.models import Line, ProvisioningOrder

logger = logging.getLogger(__name__)

Action = ProvisioningOrder.Action
Status = ProvisioningOrder.Status

# A task gives up on an order after this many failed sends; staff see it as failed in the outbox.
MAX_ATTEMPTS = 8


class NetworkError(Exception):
    """The network refused or did not answer; the send is retried."""


class Network(Protocol):
    def send(self, *, key: str, msisdn: str, iccid: str, action: str, payload: dict) -> bool:
        """Apply one order, deduplicated by `key` on the network side; True when applied at
        once, False when the network will confirm later. Raises NetworkError."""


class LoggingNetwork:
    """The network side for development and tests: logs each order and confirms it."""

    def send(self, *, key: str, msisdn: str, iccid: str, action: str, payload: dict) -> bool:
        logger.info("network: %s %s (SIM %s) key=%s %s", action, msisdn, iccid, key, payload)
        return True


def network() -> Network:
    return import_string(settings.PROVISIONING_BACKEND)()


def provisioning_orders_request(
    orders: Iterable[tuple[Line, str, str, str, dict]],
) -> list[ProvisioningOrder]:
    """Record orders (line, action, key, reason, payload) in the caller's transaction, each key
    once; their sending is queued after commit. Returns the orders recorded by this call."""
    now = timezone.now()
    rows = [
        ProvisioningOrder(
            line=line, action=action, key=key, reason=reason, payload=payload, created_at=now
        )
        for line, action, key, reason, payload in orders
    ]
    if not rows:
        return []
    existing = set(
        ProvisioningOrder.objects.filter(key__in=[row.key for row in rows]).values_list(
            "key", flat=True
        )
    )
    # The callers hold the lines' locks: no other transaction records these keys meanwhile.
    created = bulk_insert([row for row in rows if row.key not in existing])
    line_ids = sorted({order.line_id for order in created})
    if line_ids:
        from subscriptions.tasks import send_provisioning_orders

        transaction.on_commit(lambda: send_provisioning_orders.delay(line_ids))
    return created


def provisioning_request(
    *, line: Line, action: str, key: str, reason: str, payload: dict | None = None
) -> ProvisioningOrder:
    """Ask the network to apply `action` to `line`, once per `key` whoever asks again."""
    provisioning_orders_request([(line, action, key, reason, payload or {})])
    return ProvisioningOrder.objects.get(key=key)


def line_orders_send(line_id: int) -> int:
    """Send the line's unconfirmed orders in the order they were made (a block after an unblock
    must reach the network after it); stops at the first failure, which is raised for the task
    to retry. Returns how many were confirmed by this call. No transaction is held while the
    network is called."""
    confirmed = 0
    orders = ProvisioningOrder.objects.filter(line_id=line_id).exclude(status=Status.CONFIRMED)
    for order in orders.select_related("line__number", "line__sim").order_by("pk"):
        ProvisioningOrder.objects.filter(pk=order.pk).update(attempts=F("attempts") + 1)
        try:
            applied = network().send(
                key=order.key,
                msisdn=order.line.number.msisdn,
                iccid=order.line.sim.iccid if order.line.sim else "",
                action=order.action,
                payload=order.payload,
            )
        except Exception as error:
            order.refresh_from_db(fields=["attempts"])
            failed = order.attempts >= MAX_ATTEMPTS
            ProvisioningOrder.objects.filter(pk=order.pk).exclude(status=Status.CONFIRMED).update(
                last_error=str(error)[:2000], status=Status.FAILED if failed else order.status
            )
            raise
        if not applied:
            ProvisioningOrder.objects.filter(pk=order.pk, status=Status.PENDING).update(
                status=Status.SENT, sent_at=timezone.now()
            )
            break
        if provisioning_confirm(order=order):
            confirmed += 1
    return confirmed


def provisioning_confirm(*, order: ProvisioningOrder) -> bool:
    """The network applied `order`: record it once, and apply what follows from it on our side
    (an unblocking shows the line restored). False when it was already confirmed."""
    from subscriptions.suspensions import line_restore_after_unblock

    with transaction.atomic():
        now = timezone.now()
        claimed = (
            ProvisioningOrder.objects.filter(pk=order.pk)
            .exclude(status=Status.CONFIRMED)
            .update(
                status=Status.CONFIRMED,
                confirmed_at=now,
                sent_at=Coalesce(F("sent_at"), Value(now)),
            )
        )
        if not claimed:
            return False
        if order.action == Action.UNBLOCK:
            line_restore_after_unblock(line_id=order.line_id, order=order)
    return True


def lines_with_orders_to_send(*, created_before) -> list[int]:
    """Lines with orders neither confirmed nor given up, made before `created_before`: their
    queued send was lost (a worker killed) or is still being retried."""
    return list(
        ProvisioningOrder.objects.filter(
            status__in=[Status.PENDING, Status.SENT], created_at__lt=created_before
        )
        .values_list("line_id", flat=True)
        .distinct()
        .order_by("line_id")
    )
