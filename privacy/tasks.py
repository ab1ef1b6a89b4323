"""Celery tasks of the privacy app: thin, idempotent, retried by Celery."""

from datetime import timedelta

from celery import shared_task

from privacy.access import access_export_build, access_exports_expire
from privacy.delivery import Outcome, deliveries_overdue, delivery_attempt, retry_delay
from privacy.marketing import campaign_send
from privacy.models import ObjectionDelivery


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_objection(self, delivery_id: int) -> str:
    """R21.3: deliver one objection to one recipient, retried with backoff until acknowledged;
    a duplicate task finds the row claimed or delivered and does nothing."""
    outcome = delivery_attempt(delivery_id=delivery_id)
    # Eager mode (no broker, `make run`) would retry at once, forever: the sweeper retries.
    if outcome is Outcome.FAILED and not self.request.is_eager:
        attempts = ObjectionDelivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)
        # One second after the row's backoff ends, so that the retry finds it due.
        raise self.retry(countdown=retry_delay(attempts) + 1)
    return outcome.value


@shared_task
def resend_overdue_deliveries() -> int:
    """Beat: deliveries whose retry never ran are enqueued again (the claim makes it safe)."""
    overdue = deliveries_overdue(late_by=timedelta(minutes=10))
    for delivery_id in overdue:
        deliver_objection.delay(delivery_id)
    return len(overdue)


@shared_task(bind=True, max_retries=5, acks_late=True)
def build_access_export(self, request_id: int) -> None:
    """R21.1: the copy of the customer's data, built once."""
    try:
        access_export_build(request_id=request_id)
    except OSError as error:
        raise self.retry(exc=error, countdown=60) from error


@shared_task(acks_late=True)
def send_campaign(campaign_id: int) -> int:
    """Send a campaign's queued messages, each checking consent at its send time (R21.2)."""
    return campaign_send(campaign_id=campaign_id)


@shared_task
def expire_access_exports() -> int:
    """Beat: copies of data past their date are deleted (R21.1, limited time)."""
    return access_exports_expire()
