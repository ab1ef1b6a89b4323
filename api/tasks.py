"""Celery tasks of the API: thin, idempotent, retried by Celery."""

from celery import shared_task

from api.bill_changes import bill_changes_prune
from api.events import Outcome, deliveries_due, delivery_attempt, events_collect, retry_delay
from api.models import EventDelivery


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_event(self, delivery_id: int) -> str:
    """One event to one subscriber, retried with backoff until acknowledged; a duplicate task
    finds the row claimed or delivered and does nothing."""
    outcome = delivery_attempt(delivery_id=delivery_id)
    if outcome is Outcome.FAILED and not self.request.is_eager:
        attempts = EventDelivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)
        raise self.retry(countdown=retry_delay(attempts) + 1)
    return outcome.value


@shared_task
def collect_events() -> int:
    """Beat, every minute: the events of what changed, then every delivery that is due."""
    new = events_collect()
    for delivery_id in {*new, *deliveries_due()}:
        deliver_event.delay(delivery_id)
    return len(new)


@shared_task
def prune_bill_changes() -> int:
    """Beat, daily: the bill changes no kept page can need any more (api.bill_changes)."""
    return bill_changes_prune()
