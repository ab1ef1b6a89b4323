"""Celery tasks of passes: thin, each calling one function of passes.services or
passes.interruptions, each safe to run twice (what was done is not done again)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from passes.interruptions import (
    changes_to_credit,
    changes_to_notify,
    interruption_change_credit,
    interruption_change_progress,
    interruption_notice_batches,
    interruption_notices_claim,
    interruption_notices_create,
    interruption_notices_send_batch,
)
from passes.models import InterruptionChange
from passes.notices import pass_notices_send, pass_notices_to_send
from passes.option_fees import option_fees_pay
from passes.services import passes_renew

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 8}
RENEW_BATCH = 500
# Notices queued, or a batch of them sent, less than this ago are left to the tasks queued.
REDELIVERY_DELAY = timedelta(minutes=10)


@shared_task(**RETRY)
def renew_passes() -> int:
    """Beat: passes whose period ended are renewed (paid or charged) or ended, their customers
    told once (R1.2, R10.6); the month's option fees of capped lines paid from their balance
    when the grid says so (R10.7); queues itself again while more are due."""
    opened = passes_renew(limit=RENEW_BATCH)
    opened += option_fees_pay(limit=RENEW_BATCH)
    from passes.services import passes_due

    if len(passes_due(now=timezone.now(), limit=RENEW_BATCH)) == RENEW_BATCH:
        renew_passes.delay()
    return opened


@shared_task(**RETRY)
def send_pass_notices(notice_ids: list[int]) -> int:
    return pass_notices_send(notice_ids)


@shared_task(**RETRY)
def notify_interruption_change(change_id: int) -> int:
    """RK.2: the change's notices created (once), then one task per batch of those not sent
    yet, which the worker's processes share; returns the batches queued."""
    change = InterruptionChange.objects.get(pk=change_id)
    if change.notified_at:
        return 0
    if change.notices_created_at is None:
        interruption_notices_create(change)
    if not interruption_notices_claim(change, idle_since=timezone.now() - REDELIVERY_DELAY):
        return 0  # queued or sending a moment ago: left to those tasks
    batches = interruption_notice_batches(change)
    for first, last in batches:
        send_interruption_notices.delay(change_id, first, last)
    if not batches:
        interruption_change_progress(change)
    return len(batches)


@shared_task(**RETRY)
def send_interruption_notices(change_id: int, first: int, last: int) -> int:
    """RK.2: one batch of a change's notices, each once; the progress saved after it."""
    change = InterruptionChange.objects.get(pk=change_id)
    return interruption_notices_send_batch(change, first, last)


@shared_task(**RETRY)
def credit_interruption_change(change_id: int) -> int:
    """RK.3: the days of a closed scope credited, once."""
    change = InterruptionChange.objects.select_related("interruption").get(pk=change_id)
    return interruption_change_credit(change, job=f"credit_interruption_change:{change_id}")


@shared_task(**RETRY)
def resume_interruption_jobs() -> int:
    """Beat: notices whose job was lost or interrupted resume where they stopped, closed scopes
    not credited yet are credited, and single notices whose send was lost are sent."""
    idle_since = timezone.now() - REDELIVERY_DELAY
    notify = changes_to_notify(idle_since=idle_since)
    for change_id in notify:
        notify_interruption_change.delay(change_id)
    credit = changes_to_credit()
    for change_id in credit:
        credit_interruption_change.delay(change_id)
    lost = pass_notices_to_send(created_before=idle_since)
    if lost:
        send_pass_notices.delay(lost)
    return len(notify) + len(credit) + len(lost)
