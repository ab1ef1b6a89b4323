from celery import shared_task
from django.utils import timezone

from subscriptions.number_pool import number_release_quarantined


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def release_quarantined_numbers() -> int:
    """Beat, daily: R17.3 numbers out of quarantine go back to the pool."""
    return number_release_quarantined(today=timezone.localdate())
