from dataclasses import asdict

from celery import shared_task
from django.utils import timezone

from terminations.conditions import (
    changes_to_notify,
    conditions_notices_create,
    conditions_notices_send_batch,
)
from terminations.models import ConditionsChange
from terminations.notices import operator_termination_notice_send, receipt_notice_send
from terminations.services import termination_line_end, termination_lines_due
from terminations.sweeps import SWEEPS, prepaid_sweep

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 8}

# Lines ended per sweep task: each ends in its own transaction (a final invoice at most), so a
# failure costs one line; the task queues itself again while lines are due.
SWEEP_BATCH = 200
JOB = "terminations-sweep"


@shared_task(**RETRY)
def end_due_terminations() -> int:
    """Beat, daily, and after a receipt effective at once: lines whose effective date has come
    end (R16.1, R16.4, R10.2, R12.2, R17.3)."""
    due = termination_lines_due(today=timezone.localdate(), limit=SWEEP_BATCH)
    ended = sum(1 for item_id in due if termination_line_end(item_id=item_id, job=JOB))
    if len(due) == SWEEP_BATCH:
        end_due_terminations.delay()
    return ended


@shared_task(**RETRY)
def send_receipt_notice(request_id: int) -> bool:
    return receipt_notice_send(request_id)


@shared_task(**RETRY)
def send_operator_termination_notice(termination_id: int) -> bool:
    return operator_termination_notice_send(termination_id)


@shared_task(**RETRY)
def notify_conditions_change(change_id: int, create: bool = True) -> int:
    """R5.1: one batch of notices of a change; queues the next batch until every customer
    concerned is notified. `create` builds the notice rows first (idempotent)."""
    change = ConditionsChange.objects.get(pk=change_id)
    if change.notified_at:
        return 0
    if create:
        conditions_notices_create(change=change, job=f"notify_conditions_change:{change_id}")
    sent = conditions_notices_send_batch(change=change)
    change.refresh_from_db(fields=["notified_at"])
    if change.notified_at is None:
        notify_conditions_change.delay(change_id, create=False)
    return sent


@shared_task(**RETRY)
def resume_conditions_notifications() -> int:
    """Beat: changes whose notification job was lost or interrupted start again where it
    stopped (the notices already sent are not sent again)."""
    ids = changes_to_notify()
    for change_id in ids:
        notify_conditions_change.delay(change_id)
    return len(ids)


# The sweeps that end lines keep the task names they had under subscriptions (the beat and any
# message already queued name them so).
@shared_task(name="subscriptions.tasks.run_prepaid_sweep", **RETRY)
def run_prepaid_sweep() -> dict[str, int]:
    """Beat, daily: prepaid lines move to grace, preservation, then termination (R2.7 to R2.9,
    R17.3); a repeated or concurrent run moves nothing twice."""
    return asdict(prepaid_sweep(today=timezone.localdate()))


@shared_task(name="subscriptions.tasks.run_sweep", **RETRY)
def run_sweep(name: str) -> dict[str, int]:
    """Beat: one of the sweeps of `terminations.sweeps.SWEEPS` (what is due and not yet done)."""
    return SWEEPS[name](now=timezone.now())
