"""The sweeps that end lines by right, beside the one way a line ends (`terminations.ending`):
R13.1 and R17.1 (a file still incomplete), R17.5 (suspended beyond the grid's limit), R2.9 (a
prepaid number lost at the end of its preservation period).

The suspensions and their lifting stay in `subscriptions.services.sweeps` and
`subscriptions.services.prepaid`; a sweep that both suspends and ends (the incomplete files, the
prepaid life cycle) is put together here, the app that can call both, and keeps its beat entry
and its task name (`terminations.tasks`).
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from catalogue.selectors import grid_parameters
from subscriptions.models import Line, SuspensionCause
from subscriptions.services.prepaid import JOB as PREPAID_JOB
from subscriptions.services.prepaid import STEPS, GridDays, Step, SweepResult, prepaid_steps_run
from subscriptions.services.sweeps import (
    JOB_FILES,
    TERMINATING_CAUSES,
    Cause,
    cause_open,
    credit_control_suspensions_sweep,
    in_batches,
    incomplete_file,
    incomplete_files_lift,
    incomplete_files_suspend,
    overdue_invoices_sweep,
)
from terminations.ending import lines_end

S = Line.Status

JOB_TERMINATE = "sweep: termination by right"


# R13.1, R17.1: the pieces of a file not received in time.


def incomplete_files_terminate(*, now: datetime) -> int:
    """R17.1: a line suspended for its file and still incomplete after the grid's days is
    terminated."""
    days = grid_parameters(on=timezone.localdate(now)).incomplete_file_termination_days
    due = Line.objects.filter(
        incomplete_file(now),
        cause_open(Cause.INCOMPLETE_FILE, opened_at__lte=now - timedelta(days=days)),
        status=S.SUSPENDED,
    )
    reason = gettext_noop("Terminated: file still incomplete (R17.1)")
    return in_batches(
        due,
        lambda ids: _terminate_by_right(
            ids, on=timezone.localdate(now), reason=reason, job=JOB_FILES
        ),
    )


# R17.5: suspended beyond the grid's limit, with no extra time granted.


def suspended_lines_terminate(*, now: datetime) -> int:
    """R17.5: terminate by right the lines suspended by an operator's cause for longer than the
    grid's days, unless staff granted extra time on that cause."""
    today = timezone.localdate(now)
    days = grid_parameters(on=today).suspension_termination_days
    expired = SuspensionCause.objects.filter(
        Q(extended_until__isnull=True) | Q(extended_until__lt=today),
        line=OuterRef("pk"),
        lifted_at__isnull=True,
        cause__in=TERMINATING_CAUSES,
        opened_at__lte=now - timedelta(days=days),
    )
    due = Line.objects.filter(Exists(expired), status=S.SUSPENDED)
    reason = gettext_noop("Terminated by right: suspended beyond the grid's limit (R17.5)")
    return in_batches(
        due, lambda ids: _terminate_by_right(ids, on=today, reason=reason, job=JOB_TERMINATE)
    )


def _terminate_by_right(line_ids: list[int], *, on: date, reason: str, job: str) -> int:
    """R17.1, R17.5: end the lines still suspended under their lock (a cause lifted meanwhile
    leaves its line alone), the monthly fees left until the end of the minimum period due at
    once; the customer kept the SIM (R12.2: its fee comes off the deposit refund)."""
    ended = lines_end(
        line_ids=line_ids,
        on=on,
        reason=reason,
        job=job,
        only_from=[S.SUSPENDED],
        sim_returned=False,
        remaining_fees=True,
        fees_label=gettext_noop(
            "Monthly fees left until %(date)s (termination by right, %(number)s)"
        ),
    )
    return len(ended)


# R2.9, R17.3: the prepaid life cycle's last step.


def _terminate(lines: list[Line], grid: GridDays, today: date) -> None:
    """R2.9, R17.1: preservation over without a top-up, the line ends (its contract with its
    last line): R17.3, the number goes to quarantine and the network releases it."""
    lines_end(
        line_ids=[line.pk for line in lines],
        on=today,
        reason=gettext_noop("Preservation ended without a top-up: number lost (R2.9, R17.3)"),
        job=PREPAID_JOB,
        only_from=[S.PRESERVATION],
        sim_returned=False,
    )


PREPAID_STEPS: list[Step] = [
    *STEPS,
    ("terminated", S.PRESERVATION, "preservation_until", True, _terminate),
]


def prepaid_sweep(*, today: date) -> SweepResult:
    """R2.7 to R2.9: every prepaid line whose period ended before `today` moves into the next one,
    the last ending the line; returns how many lines entered each period."""
    return prepaid_steps_run(PREPAID_STEPS, today=today)


# What the beat jobs and the management commands run, by name: how many lines each step moved.
def incomplete_files_sweep(*, now: datetime) -> dict[str, int]:
    return {
        "lifted": incomplete_files_lift(now=now),
        "suspended": incomplete_files_suspend(now=now),
        "terminated": incomplete_files_terminate(now=now),
    }


def terminations_sweep(*, now: datetime) -> dict[str, int]:
    return {"terminated": suspended_lines_terminate(now=now)}


SWEEPS: dict[str, Callable[..., dict[str, int]]] = {
    "incomplete_files": incomplete_files_sweep,
    "overdue_invoices": overdue_invoices_sweep,
    "credit_control": credit_control_suspensions_sweep,
    "terminations": terminations_sweep,
}
