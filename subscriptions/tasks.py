from dataclasses import asdict
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from subscriptions.lifecycle.records import number_release_quarantined
from subscriptions.notices.files import accepted_notice_send, refusal_letter_send
from subscriptions.notices.suspensions import notification_send, notifications_to_send
from subscriptions.services.prepaid import prepaid_sweep
from subscriptions.services.suspensions import (
    line_orders_send,
    lines_with_orders_to_send,
)
from subscriptions.services.sweeps import SWEEPS, settled_suspensions_lift

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 8}

# Orders and notifications queued less than this ago are left to the task queued with them.
REDELIVERY_DELAY = timedelta(minutes=10)
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


@shared_task(**RETRY)
def send_provisioning_orders(line_ids: list[int]) -> int:
    """The outbox of these lines to the network, each line's orders in order; a retry resends
    only what is not confirmed, with the same idempotency keys."""
    return sum(line_orders_send(line_id) for line_id in line_ids)


@shared_task(**RETRY)
def send_customer_notifications(notification_ids: list[int]) -> int:
    """Suspension and restoration notices; a retry sends only those not sent yet."""
    return sum(notification_send(pk) for pk in notification_ids)


@shared_task(**RETRY)
def run_prepaid_sweep() -> dict[str, int]:
    """Beat, daily: prepaid lines move to grace, preservation, then termination (R2.7 to R2.9,
    R17.3); a repeated or concurrent run moves nothing twice."""
    return asdict(prepaid_sweep(today=timezone.localdate()))


@shared_task(**RETRY)
def redeliver_outbox() -> int:
    """Beat: queue again the orders and notifications whose send was lost."""
    before = timezone.now() - REDELIVERY_DELAY
    lines = lines_with_orders_to_send(created_before=before)
    notices = notifications_to_send(created_before=before)
    for start in range(0, len(lines), REDELIVERY_CHUNK):
        send_provisioning_orders.delay(lines[start : start + REDELIVERY_CHUNK])
    for start in range(0, len(notices), REDELIVERY_CHUNK):
        send_customer_notifications.delay(notices[start : start + REDELIVERY_CHUNK])
    return len(lines) + len(notices)


@shared_task(**RETRY)
def run_sweep(name: str) -> dict[str, int]:
    """Beat: one of the sweeps of `subscriptions.services.sweeps` (what is due and not yet done)."""
    return SWEEPS[name](now=timezone.now())


@shared_task(**RETRY)
def lift_settled_suspensions(customer_id: int) -> int:
    """After a payment: lift the late-payment and credit causes it settles (R10.4, R11.2)."""
    return settled_suspensions_lift(customer_id=customer_id, today=timezone.localdate())
