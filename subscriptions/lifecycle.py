"""The life cycle of a line and of its number: their states, the allowed moves, and the functions
that move them (one line, or a batch of lines for the sweeps)."""

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from portal.bulk import bulk_insert
from subscriptions.models import Line, LineStatusChange, MobileNumber

S = Line.Status
N = MobileNumber.Status

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTIVE, S.TERMINATED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.GRACE, S.TERMINATED}),
    # R13.1: lifting the last cause restores the line to where its suspension found it.
    S.SUSPENDED: frozenset({S.ACTIVE, S.GRACE, S.PRESERVATION, S.TERMINATED}),
    # R2.8: a top-up in grace returns the line to validity.
    S.GRACE: frozenset({S.ACTIVE, S.SUSPENDED, S.PRESERVATION, S.TERMINATED}),
    # R2.9: a top-up in preservation restores the line; its end terminates it.
    S.PRESERVATION: frozenset({S.ACTIVE, S.SUSPENDED, S.TERMINATED}),
    S.TERMINATED: frozenset(),
}

# The number's own life cycle: assigned to a line, in quarantine after the line's termination,
# free again once the quarantine is over (R17.3).
NUMBER_MOVES: dict[str, frozenset[str]] = {
    N.AVAILABLE: frozenset({N.ASSIGNED}),
    N.ASSIGNED: frozenset({N.QUARANTINE}),
    N.QUARANTINE: frozenset({N.AVAILABLE}),
}


def number_sources_of(to: str) -> list[str]:
    """The statuses a number may leave for `to`."""
    return [status for status, targets in NUMBER_MOVES.items() if to in targets]


def _number_to_quarantine(line: Line) -> None:
    # Imported here: the number pool follows NUMBER_MOVES of this module.
    from subscriptions.number_pool import number_quarantine

    number_quarantine(number=line.number, on=timezone.localdate())


def sources_of(to: str) -> list[str]:
    """The statuses a line may leave for `to`."""
    return [status for status, targets in ALLOWED_MOVES.items() if to in targets]


class TransitionRefused(Exception):
    """The move is not in ALLOWED_MOVES, or another actor moved the line first."""


def line_transition(
    *, line: Line, to: str, reason: str, actor: User | None = None, job: str = ""
) -> Line:
    """Move `line` to `to`, recording who (a person or a job), when and why.

    The move is claimed with a conditional update on the status the caller saw, so that two
    workers or two agents racing on the same line produce one move and one history row.
    """
    if to not in ALLOWED_MOVES[line.status]:
        raise TransitionRefused(f"A line cannot go from {line.status} to {to}.")
    if actor is None and not job:
        raise ValueError("A move is made by a person or by a job.")
    with transaction.atomic():
        claimed = Line.objects.filter(pk=line.pk, status=line.status).update(status=to)
        if claimed != 1:
            raise TransitionRefused(f"Line {line.pk} is no longer {line.status}.")
        LineStatusChange.objects.create(
            line=line, from_status=line.status, to_status=to, actor=actor, job=job, reason=reason
        )
        line.status = to
        if to == S.TERMINATED:
            _number_to_quarantine(line)
    return line


def lines_transition(
    *, lines: list[Line], to: str, reason: str, actor: User | None = None, job: str = ""
) -> list[Line]:
    """Move each of `lines` to `to` in one statement per status they leave, with one history row
    each. The caller holds the lines' row locks (`select_for_update`) and passes them as read
    under those locks, so that no other actor moves them meanwhile; a line whose status does not
    allow the move is refused as `line_transition` would."""
    if actor is None and not job:
        raise ValueError("A move is made by a person or by a job.")
    by_status: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        if to not in ALLOWED_MOVES[line.status]:
            raise TransitionRefused(f"A line cannot go from {line.status} to {to}.")
        by_status[line.status].append(line)
    with transaction.atomic():
        for status, group in by_status.items():
            moved = Line.objects.filter(pk__in=[line.pk for line in group], status=status).update(
                status=to
            )
            if moved != len(group):
                raise TransitionRefused(f"Lines left {status} while locked for a move to {to}.")
        bulk_insert(
            [
                LineStatusChange(
                    line=line,
                    from_status=line.status,
                    to_status=to,
                    actor=actor,
                    job=job,
                    reason=reason,
                )
                for line in lines
            ]
        )
        for line in lines:
            line.status = to
            if to == S.TERMINATED:
                _number_to_quarantine(line)
    return lines


def line_record(*, line: Line, reason: str, actor: User | None = None, job: str = "") -> None:
    """A history row for an event that leaves the line's status as it is (extra time granted)."""
    LineStatusChange.objects.create(
        line=line,
        from_status=line.status,
        to_status=line.status,
        actor=actor,
        job=job,
        reason=reason,
    )


def status_before_suspension(line: Line) -> str:
    """Where the last suspension found the line (active, or a prepaid period), for its return."""
    change = (
        LineStatusChange.objects.filter(line=line, to_status=S.SUSPENDED)
        .exclude(from_status=S.SUSPENDED)
        .order_by("-at", "-pk")
        .first()
    )
    return change.from_status if change else S.ACTIVE
