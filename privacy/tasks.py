"""Celery tasks of the privacy app: thin, idempotent, retried by Celery."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from lib.tasks import OUTAGE_RETRY, outage_countdown, outbox_stale
from privacy.access import access_export_build, access_export_fail, access_exports_expire
from privacy.delivery import Outcome, deliveries_overdue, delivery_attempt, retry_delay
from privacy.marketing import campaign_send
from privacy.models import ObjectionDelivery

logger = logging.getLogger(__name__)

# A copy that cannot be built is tried again 4 times, after 1, 2, 4 then 8 minutes (about a
# quarter of an hour in all), then marked failed.
ACCESS_EXPORT_RETRIES = 4
ACCESS_EXPORT_RETRY_SECONDS = 60


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_objection(self, delivery_id: int) -> str:
    """R21.3: deliver one objection to one recipient, retried with backoff until acknowledged;
    a duplicate task finds the row claimed or delivered and does nothing. Issue 16: when the
    database goes away, the retries wait it out (lib.tasks.OUTAGE_RETRY); a row left claimed
    is taken up by `resend_overdue_deliveries`."""
    try:
        outcome = delivery_attempt(delivery_id=delivery_id)
        if outcome is Outcome.FAILED:
            attempts = ObjectionDelivery.objects.values_list("attempts", flat=True).get(
                pk=delivery_id
            )
    except (OperationalError, InterfaceError) as error:
        if self.request.is_eager:
            raise
        raise self.retry(
            exc=error,
            countdown=outage_countdown(self.request.retries),
            max_retries=OUTAGE_RETRY["max_retries"],
        ) from error
    # Eager mode (no broker, `make run`) would retry at once, forever: the sweeper retries.
    if outcome is Outcome.FAILED and not self.request.is_eager:
        # One second after the row's backoff ends, so that the retry finds it due.
        raise self.retry(countdown=retry_delay(attempts) + 1)
    return outcome.value


@shared_task
def resend_overdue_deliveries() -> int:
    """Beat: deliveries whose retry never ran, or whose claim is a dead worker's, are enqueued
    again once OUTBOX_STALE_SECONDS late (the claim makes it safe)."""
    overdue = deliveries_overdue(late_by=outbox_stale())
    for delivery_id in overdue:
        deliver_objection.delay(delivery_id)
    return len(overdue)


@shared_task(bind=True, max_retries=ACCESS_EXPORT_RETRIES, acks_late=True)
def build_access_export(self, request_id: int) -> None:
    """R21.1: the copy of the customer's data, built once; retried with doubling delays, then
    marked failed so that it does not stay "being prepared" for ever."""
    try:
        access_export_build(request_id=request_id)
    except Exception as error:
        attempt = self.request.retries + 1
        # Eager mode (no broker, `make run`) would raise the retry into the customer's request
        # (HTTP 500): it fails at once, and the customer asks again.
        if attempt <= self.max_retries and not self.request.is_eager:
            countdown = ACCESS_EXPORT_RETRY_SECONDS * 2**self.request.retries
            raise self.retry(exc=error, countdown=countdown) from error
        # Not raised again: the failure is recorded on the request and logged with its traceback.
        logger.exception("Copy of data %s failed at attempt %s", request_id, attempt)
        access_export_fail(
            request_id=request_id,
            reason=f"{type(error).__name__}: {error} (attempt {attempt})",
        )


@shared_task(acks_late=True)
def send_campaign(campaign_id: int) -> int:
    """Send a campaign's queued messages, each checking consent at its send time (R21.2)."""
    return campaign_send(campaign_id=campaign_id)


@shared_task
def expire_access_exports() -> int:
    """Beat: copies of data past their date are deleted (R21.1, limited time)."""
    return access_exports_expire()
