from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from subscriptions.file_notices import accepted_notice_send, refusal_letter_send
from subscriptions.notifications import notification_send
from subscriptions.number_pool import number_release_quarantined
from subscriptions.prepaid import prepaid_sweep
from subscriptions.provisioning import line_orders_send

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 8}


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
