"""Suspensions (R13.1): a line is suspended while any of its causes is open; lifting one cause
leaves the others. The first open cause suspends the line and asks the network to block it; the
last one lifted asks it to unblock, and the line is shown restored only when the network confirms
(`line_restore_after_unblock`, called by `subscriptions.provisioning`).

Every function takes the lines' row locks in id order before reading their causes, so that
concurrent sweeps and agents serialise on each line and never open a cause or move a line twice.
The batch functions serve the sweeps; `suspension_open` and `suspension_lift` serve one line.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User
from portal.bulk import bulk_insert
from subscriptions.lifecycle import lines_transition, sources_of, status_before_suspension
from subscriptions.models import Line, PrepaidAccount, ProvisioningOrder, SuspensionCause
from subscriptions.notifications import notifications_record
from subscriptions.provisioning import provisioning_orders_request

S = Line.Status
Cause = SuspensionCause.Cause
Action = ProvisioningOrder.Action

# Lines that can be suspended: those a suspension may start from in the state machine.
SUSPENDABLE = [status for status in sources_of(S.SUSPENDED) if status != S.SUSPENDED]


class SuspensionRefused(Exception):
    """The line cannot be suspended (pending or terminated), or nobody is named as acting."""


def locked_lines(line_ids: Iterable[int]) -> list[Line]:
    # Always the same order, so that two sweeps locking overlapping batches cannot deadlock.
    return list(
        Line.objects.select_for_update(of=("self",))
        .filter(pk__in=list(line_ids))
        .select_related("number", "offer")
        .order_by("pk")
    )


def suspensions_open(
    *, line_ids: Iterable[int], cause: str, reason: str, actor: User | None = None, job: str = ""
) -> list[SuspensionCause]:
    """R13.1: open `cause` on each line where it is not open yet (lines that are pending or
    terminated are left alone). Returns the causes opened by this call."""
    if actor is None and not job:
        raise ValueError("A suspension is opened by a person or by a job.")
    now = timezone.now()
    with transaction.atomic():
        lines = [
            line for line in locked_lines(line_ids) if line.status in (*SUSPENDABLE, S.SUSPENDED)
        ]
        already = set(
            SuspensionCause.objects.filter(
                line__in=lines, cause=cause, lifted_at__isnull=True
            ).values_list("line_id", flat=True)
        )
        lines = [line for line in lines if line.pk not in already]
        # The first open cause blocks, also on a line whose causes were all lifted but whose
        # unblocking the network has not confirmed yet (the block goes after it).
        blocked = set(
            SuspensionCause.objects.filter(line__in=lines, lifted_at__isnull=True).values_list(
                "line_id", flat=True
            )
        )
        opened = bulk_insert(
            [
                SuspensionCause(
                    line=line,
                    cause=cause,
                    opened_at=now,
                    opened_by=actor,
                    opened_job=job,
                    reason=reason,
                )
                for line in lines
            ]
        )
        newly_suspended = [line for line in lines if line.status != S.SUSPENDED]
        lines_transition(lines=newly_suspended, to=S.SUSPENDED, reason=reason, actor=actor, job=job)
        first_cause = {row.line_id: row for row in opened}
        provisioning_orders_request(
            (line, Action.BLOCK, f"block:cause{first_cause[line.pk].pk}", reason, {})
            for line in lines
            if line.pk not in blocked
        )
        notifications_record(
            (row.line, "suspended", cause, f"suspended:cause{row.pk}") for row in opened
        )
    return opened


def suspension_open(
    *, line: Line, cause: str, reason: str, actor: User | None = None, job: str = ""
) -> SuspensionCause | None:
    """R13.1: open `cause` on `line`; None when it is already open. The first open cause
    suspends the line, asks the network to block it and tells the customer."""
    if line.status in (S.PENDING, S.TERMINATED):
        raise SuspensionRefused(f"A {line.status} line cannot be suspended.")
    opened = suspensions_open(line_ids=[line.pk], cause=cause, reason=reason, actor=actor, job=job)
    line.refresh_from_db(fields=["status"])
    return opened[0] if opened else None


def suspensions_lift(
    *, line_ids: Iterable[int], cause: str, reason: str, actor: User | None = None, job: str = ""
) -> list[SuspensionCause]:
    """R13.1: lift `cause` where it is open, leaving the other causes open. A line left with no
    open cause is unblocked by the network; it shows restored when the network confirms.
    Returns the causes lifted by this call."""
    if actor is None and not job:
        raise ValueError("A suspension is lifted by a person or by a job.")
    now = timezone.now()
    with transaction.atomic():
        lines = {line.pk: line for line in locked_lines(line_ids)}
        rows = list(
            SuspensionCause.objects.filter(
                line_id__in=lines, cause=cause, lifted_at__isnull=True
            ).order_by("pk")
        )
        SuspensionCause.objects.filter(pk__in=[row.pk for row in rows]).update(
            lifted_at=now, lifted_by=actor, lifted_job=job, lift_reason=reason
        )
        still_open = set(
            SuspensionCause.objects.filter(
                line_id__in=[row.line_id for row in rows], lifted_at__isnull=True
            ).values_list("line_id", flat=True)
        )
        provisioning_orders_request(
            (lines[row.line_id], Action.UNBLOCK, f"unblock:cause{row.pk}", reason, {})
            for row in rows
            if row.line_id not in still_open and lines[row.line_id].status == S.SUSPENDED
        )
    for row in rows:
        row.lifted_at, row.lifted_by, row.lifted_job, row.lift_reason = now, actor, job, reason
    return rows


def suspension_lift(
    *, line: Line, cause: str, reason: str, actor: User | None = None, job: str = ""
) -> SuspensionCause | None:
    """R13.1: lift `cause` on `line`; None when it is not open. The other causes stay open."""
    lifted = suspensions_lift(line_ids=[line.pk], cause=cause, reason=reason, actor=actor, job=job)
    return lifted[0] if lifted else None


def _preservation_ended_by_a_top_up(line: Line) -> bool:
    """R2.9: the validity of a line in preservation runs again once it is topped up; its
    periods are then over."""
    account = PrepaidAccount.objects.select_for_update().filter(line=line).first()
    if not (account and account.valid_until and account.valid_until >= timezone.localdate()):
        return False
    account.grace_until = account.preservation_until = None
    account.save(update_fields=["grace_until", "preservation_until"])
    return True


def line_restore_after_unblock(*, line_id: int, order: ProvisioningOrder) -> Line | None:
    """The network confirmed an unblocking: the line returns to where its suspension found it
    and the customer is told, unless a cause was opened again meanwhile (its block follows)."""
    with transaction.atomic():
        locked = locked_lines([line_id])
        if not locked or locked[0].status not in (S.SUSPENDED, S.PRESERVATION):
            return None
        line = locked[0]
        if SuspensionCause.objects.filter(line=line, lifted_at__isnull=True).exists():
            return None
        if line.status == S.PRESERVATION:
            # R2.9: a top-up in preservation; the line calls again from the confirmation on.
            to = S.ACTIVE
            reason = gettext_noop(
                "Top-up in preservation: line restored, earlier balances lost (R2.9)"
            )
        else:
            to = status_before_suspension(line)
            if to == S.PRESERVATION and _preservation_ended_by_a_top_up(line):
                to = S.ACTIVE  # R2.9: topped up while it was suspended, it calls again
            reason = gettext_noop("Restored: the network confirmed the unblocking")
        lines_transition(lines=[line], to=to, reason=reason, job="provisioning")
        if to == S.PRESERVATION:  # R2.9: back in preservation, the line only receives
            provisioning_orders_request(
                [
                    (
                        line,
                        ProvisioningOrder.Action.RECEIVE_ONLY,
                        f"receive-only-after-order{order.pk}",
                        "R2.9: back in preservation after a suspension",
                        {},
                    )
                ]
            )
        notifications_record([(line, "restored", "", f"restored:order{order.pk}")])
    return line


def open_causes(line: Line) -> list[SuspensionCause]:
    return list(line.suspension_causes.filter(lifted_at__isnull=True).order_by("opened_at"))
