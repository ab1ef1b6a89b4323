"""The life cycles of a line, of its number and of its SIM: their states, the allowed moves, and
the functions that move them (one line, or a batch of lines for the sweeps). Their statuses are
written here only (tests/subscriptions/test_status_writes.py keeps it so).

The number pool: numbers go to quarantine at termination and come back after it (R17.3).
"""

from collections import defaultdict
from datetime import date, timedelta

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from catalogue.selectors import grid_parameters
from lib.bulk import bulk_insert
from subscriptions.models import Line, LineStatusChange, MobileNumber, SimCard

S = Line.Status

N = MobileNumber.Status

SIM = SimCard.Status

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

# The SIM's: handed out from a boutique's stock to a line; at the line's end back in stock when
# the customer returned it, retired when not (or when a lost SIM is replaced, R14.3).
SIM_MOVES: dict[str, frozenset[str]] = {
    SIM.IN_STOCK: frozenset({SIM.ASSIGNED, SIM.RETIRED}),
    SIM.ASSIGNED: frozenset({SIM.IN_STOCK, SIM.RETIRED}),
    SIM.RETIRED: frozenset(),
}


def number_sources_of(to: str) -> list[str]:
    """The statuses a number may leave for `to`."""
    return [status for status, targets in NUMBER_MOVES.items() if to in targets]


def numbers_move(
    *, numbers: QuerySet[MobileNumber], to: str, quarantine_until: date | None = None
) -> int:
    """Move the numbers of `numbers` that may go to `to` (NUMBER_MOVES), with one conditional
    update, so that two actors racing move a number once; returns how many moved. A number in
    quarantine has its end (R17.3), and only there."""
    if (to == N.QUARANTINE) != (quarantine_until is not None):
        raise ValueError("A number in quarantine, and only there, has the quarantine's end.")
    return numbers.filter(status__in=number_sources_of(to)).update(
        status=to, quarantine_until=quarantine_until
    )


def sims_move(*, sims: QuerySet[SimCard], to: str) -> int:
    """Move the SIMs of `sims` that may go to `to` (SIM_MOVES), with one conditional update;
    returns how many moved."""
    sources = [status for status, targets in SIM_MOVES.items() if to in targets]
    return sims.filter(status__in=sources).update(status=to)


def sources_of(to: str) -> list[str]:
    """The statuses a line may leave for `to`."""
    return [status for status, targets in ALLOWED_MOVES.items() if to in targets]


class TransitionRefused(Exception):
    """The move is not in ALLOWED_MOVES, or another actor moved the line first."""


def line_transition(
    *, line: Line, to: str, reason: str, actor: User | None = None, job: str = ""
) -> Line:
    """Move `line` to `to`, recording who (a person or a job), when and why. A line ends
    (TERMINATED) through `subscriptions.services.ending.lines_end` only, which also frees its
    number and SIM.

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


def numbers_quarantine(*, numbers: QuerySet[MobileNumber], on: date) -> int:
    """R17.3: a terminated line's number waits the grid's quarantine before it is reassigned;
    only an assigned number goes there (lifecycle.NUMBER_MOVES)."""
    days = grid_parameters(on=on).number_quarantine_days
    return numbers_move(
        numbers=numbers, to=N.QUARANTINE, quarantine_until=on + timedelta(days=days)
    )


def number_release_quarantined(*, today: date) -> int:
    """R17.3: numbers whose quarantine is over go back to the pool; returns how many.

    One set-based update of what is due and not yet done, so a repeated or concurrent run
    releases nothing twice.
    """
    return numbers_move(
        numbers=MobileNumber.objects.filter(quarantine_until__lte=today), to=N.AVAILABLE
    )
