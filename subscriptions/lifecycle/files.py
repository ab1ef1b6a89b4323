"""The life cycle of a subscription file: states, allowed moves, deadlines, one move function."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalogue.selectors import grid_parameters
from subscriptions.models import FilePiece, FileStatusChange, SubscriptionFile

S = SubscriptionFile.Status


ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.RECEIVED, S.ACTIVE}),  # ACTIVE: a boutique sale (R13.1)
    S.RECEIVED: frozenset({S.INCOMPLETE, S.COMPLETE, S.REFUSED}),
    S.INCOMPLETE: frozenset({S.COMPLETE, S.REFUSED}),
    S.COMPLETE: frozenset({S.INCOMPLETE, S.ACCEPTED, S.REFUSED}),
    S.ACCEPTED: frozenset({S.ACTIVE}),
    S.REFUSED: frozenset(),
    S.ACTIVE: frozenset(),
}


class FileTransitionRefused(Exception):
    """The move is not allowed from the file's status, or another actor moved it first."""


def file_record(
    *,
    file: SubscriptionFile,
    reason: str,
    actor: User | None = None,
    job: str = "",
    piece: FilePiece | None = None,
) -> FileStatusChange:
    """A history row for an event that leaves the status as it is (a piece marked, a fee paid)."""
    return FileStatusChange.objects.create(
        file=file,
        from_status=file.status,
        to_status=file.status,
        piece=piece,
        actor=actor,
        job=job,
        reason=reason,
    )


def file_transition(
    *,
    file: SubscriptionFile,
    to: str,
    reason: str,
    actor: User | None = None,
    job: str = "",
    piece: FilePiece | None = None,
) -> SubscriptionFile:
    """Move `file` to `to`, set the deadlines that move starts, and record who, when and why."""
    if to not in ALLOWED_MOVES[file.status]:
        raise FileTransitionRefused(f"A file cannot go from {file.status} to {to}.")
    now = timezone.now()
    changes: dict = {"status": to}
    if to == S.RECEIVED:
        # R6.2: a refusal must be written and sent within 15 days of the request.
        days = grid_parameters(on=timezone.localdate(now)).refusal_days
        changes.update(submitted_at=now, decision_due_at=now + timedelta(days=days))
    elif to == S.COMPLETE:
        # R3.2: the line opens within 24 hours of the complete file.
        hours = grid_parameters(on=timezone.localdate(now)).activation_hours
        changes.update(completed_at=now, activation_due_at=now + timedelta(hours=hours))
    elif to == S.INCOMPLETE:
        changes.update(completed_at=None, activation_due_at=None)
    elif to in (S.ACCEPTED, S.REFUSED) or (to == S.ACTIVE and file.status == S.DRAFT):
        changes.update(decided_at=now)
    with transaction.atomic():
        claimed = SubscriptionFile.objects.filter(pk=file.pk, status=file.status).update(**changes)
        if claimed != 1:
            raise FileTransitionRefused(f"File {file.pk} is no longer {file.status}.")
        FileStatusChange.objects.create(
            file=file,
            from_status=file.status,
            to_status=to,
            piece=piece,
            actor=actor,
            job=job,
            reason=reason,
        )
        for name, value in changes.items():
            setattr(file, name, value)
    return file
