from celery import shared_task
from django.utils import timezone

from lib.tasks import OUTAGE_RETRY, outbox_stale
from subscriptions.lifecycle.records import number_release_quarantined
from subscriptions.notices.files import accepted_notice_send, refusal_letter_send
from subscriptions.notices.suspensions import notification_send, notifications_to_send
from subscriptions.services.suspensions import (
    line_orders_send,
    lines_with_orders_to_send,
)
from subscriptions.services.sweeps import settled_suspensions_lift

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 8}

# Lines or notifications per redelivery task.
REDELIVERY_CHUNK = 500


@shared_task(**RETRY)
def release_quarantined_numbers() -> int:
    """Beat, daily: R17.3 numbers out of quarantine go back to the pool."""
    return number_release_quarantined(today=timezone.localdate())


@shared_task(**RETRY)
def send_refusal_letter(file_id: int) -> bool:
    """R6.2: the refusal letter, produced and e-mailed once."""
    return refusal_letter_send(file_id)


@shared_task(**RETRY)
def send_file_accepted(file_id: int) -> bool:
    return accepted_notice_send(file_id)


@shared_task(**OUTAGE_RETRY)
def send_provisioning_orders(line_ids: list[int]) -> int:
    """The outbox of these lines to the network, each line's orders in order; a retry resends
    only what is not confirmed, with the same idempotency keys. Issue 16: its retries outlast a
    database outage, and `redeliver_outbox` takes up what they leave."""
    return sum(line_orders_send(line_id) for line_id in line_ids)


@shared_task(**RETRY)
def send_customer_notifications(notification_ids: list[int]) -> int:
    """Suspension and restoration notices; a retry sends only those not sent yet."""
    return sum(notification_send(pk) for pk in notification_ids)


@shared_task(**RETRY)
def redeliver_outbox() -> int:
    """Beat: queue again the orders and notifications whose send was lost, and the orders a
    dead worker claimed; those queued or claimed less than OUTBOX_STALE_SECONDS ago are left to
    the task that has them."""
    before = timezone.now() - outbox_stale()
    lines = lines_with_orders_to_send(created_before=before)
    notices = notifications_to_send(created_before=before)
    for start in range(0, len(lines), REDELIVERY_CHUNK):
        send_provisioning_orders.delay(lines[start : start + REDELIVERY_CHUNK])
    for start in range(0, len(notices), REDELIVERY_CHUNK):
        send_customer_notifications.delay(notices[start : start + REDELIVERY_CHUNK])
    return len(lines) + len(notices)


@shared_task(**RETRY)
def lift_settled_suspensions(customer_id: int) -> int:
    """After a payment: lift the late-payment and credit causes it settles (R10.4, R11.2)."""
    return settled_suspensions_lift(customer_id=customer_id, today=timezone.localdate())
