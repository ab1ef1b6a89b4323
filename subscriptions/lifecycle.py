"""The life cycle of a line: its states, the allowed moves, and the one function that moves it."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from subscriptions.models import Line, LineStatusChange
from subscriptions.number_pool import number_quarantine

S = Line.Status

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ACTIVE, S.TERMINATED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.GRACE, S.TERMINATED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.TERMINATED}),
    # R2.8: a top-up in grace returns the line to validity.
    S.GRACE: frozenset({S.ACTIVE, S.SUSPENDED, S.PRESERVATION, S.TERMINATED}),
    # R2.9: a top-up in preservation restores the line; its end terminates it.
    S.PRESERVATION: frozenset({S.ACTIVE, S.SUSPENDED, S.TERMINATED}),
    S.TERMINATED: frozenset(),
}


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
            number_quarantine(number=line.number, on=timezone.localdate())
    return line
