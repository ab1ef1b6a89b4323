from celery import shared_task
from django.utils import timezone

from subscriptions.file_notices import accepted_notice_send, refusal_letter_send
from subscriptions.number_pool import number_release_quarantined

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
