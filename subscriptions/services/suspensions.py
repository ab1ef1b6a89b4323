"""Suspensions (R13.1): a line is suspended while any of its causes is open; lifting one cause
leaves the others. The first open cause suspends the line and asks the network to block it; the
last one lifted asks it to unblock, and the line is shown restored only when the network confirms
(`line_restore_after_unblock`, called by `subscriptions.provisioning`).

Every function takes the lines' row locks in id order before reading their causes, so that
concurrent sweeps and agents serialise on each line and never open a cause or move a line twice.
The batch functions serve the sweeps; `suspension_open` and `suspension_lift` serve one line.

Provisioning: what the network must apply to a line goes through an outbox (`ProvisioningOrder`)
that a Celery task sends with its idempotency key, so that a retried send is applied once.

The network side is a backend chosen by `settings.PROVISIONING_BACKEND` (like `EMAIL_BACKEND`);
`LoggingNetwork` writes each order to the log and confirms it. A line is shown restored only once
the network has confirmed its unblocking (`provisioning_confirm`).

Suspension at the customer's request (R13.2): everything the customer owes becomes payable at
once; the customer (or an agent for them) lifts it on request.

The extra time staff may grant a suspended line before its termination by right (R17.5);
the termination itself is `subscriptions.ending.lines_end` (called by `subscriptions.sweeps`).
"""

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from billing.invoicing import Period, invoice_issue
from billing.models import Invoice
from lib.bulk import bulk_insert
from lib.tasks import enqueue, outbox_stale
from subscriptions.lifecycle.records import (
    line_record,
    lines_transition,
    sources_of,
    status_before_suspension,
)
from subscriptions.models import (
    Line,
    PrepaidAccount,
    ProvisioningOrder,
    SuspensionCause,
)
from subscriptions.notices.suspensions import notifications_record

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
            to: str = S.ACTIVE
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


logger = logging.getLogger(__name__)

Status = ProvisioningOrder.Status

# A task gives up on an order after this many failed sends; staff see it as failed in the outbox.
MAX_ATTEMPTS = 8


class NetworkError(Exception):
    """The network refused or did not answer; the send is retried."""


class Network(Protocol):
    def send(self, *, key: str, msisdn: str, iccid: str, action: str, payload: dict) -> bool:
        """Apply one order, deduplicated by `key` on the network side; True when applied at
        once, False when the network will confirm later. Raises NetworkError."""


class LoggingNetwork:
    """The network side for development and tests: logs each order and confirms it."""

    def send(self, *, key: str, msisdn: str, iccid: str, action: str, payload: dict) -> bool:
        logger.info("network: %s %s (SIM %s) key=%s %s", action, msisdn, iccid, key, payload)
        return True


def network() -> Network:
    return import_string(settings.PROVISIONING_BACKEND)()


def provisioning_orders_request(
    orders: Iterable[tuple[Line, str, str, str, dict]],
) -> list[ProvisioningOrder]:
    """Record orders (line, action, key, reason, payload) in the caller's transaction, each key
    once; their sending is queued after commit. Returns the orders recorded by this call."""
    now = timezone.now()
    rows = [
        ProvisioningOrder(
            line=line, action=action, key=key, reason=reason, payload=payload, created_at=now
        )
        for line, action, key, reason, payload in orders
    ]
    if not rows:
        return []
    existing = set(
        ProvisioningOrder.objects.filter(key__in=[row.key for row in rows]).values_list(
            "key", flat=True
        )
    )
    # The callers hold the lines' locks: no other transaction records these keys meanwhile.
    created = bulk_insert([row for row in rows if row.key not in existing])
    line_ids = sorted({order.line_id for order in created})
    if line_ids:
        enqueue("subscriptions.tasks.send_provisioning_orders", line_ids)
    return created


def provisioning_request(
    *, line: Line, action: str, key: str, reason: str, payload: dict | None = None
) -> ProvisioningOrder:
    """Ask the network to apply `action` to `line`, once per `key` whoever asks again."""
    provisioning_orders_request([(line, action, key, reason, payload or {})])
    return ProvisioningOrder.objects.get(key=key)


def _order_claim(order: ProvisioningOrder) -> datetime | None:
    """Issue 16: claim an order for one send with a conditional update; a claim older than
    OUTBOX_STALE_SECONDS is a dead worker's and is taken over. Returns the claim's instant, or
    None when another worker holds the order or it is confirmed."""
    now = timezone.now()
    claimed = (
        ProvisioningOrder.objects.filter(pk=order.pk)
        .exclude(status=Status.CONFIRMED)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - outbox_stale()))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    return now if claimed else None


def line_orders_send(line_id: int) -> int:
    """Send the line's unconfirmed orders in the order they were made (a block after an unblock
    must reach the network after it); stops at the first failure, which is raised for the task
    to retry, and at an order another worker is sending (the rest of the line is left to it).
    Returns how many were confirmed by this call. No transaction is held while the network is
    called; a send the network applied but that was not recorded (the worker died, the database
    went away) is sent again under the same key, which the network applies once."""
    confirmed = 0
    orders = ProvisioningOrder.objects.filter(line_id=line_id).exclude(status=Status.CONFIRMED)
    for order in orders.select_related("line__number", "line__sim").order_by("pk"):
        claim = _order_claim(order)
        if claim is None:
            break
        try:
            applied = network().send(
                key=order.key,
                msisdn=order.line.number.msisdn,
                iccid=order.line.sim.iccid if order.line.sim else "",
                action=order.action,
                payload=order.payload,
            )
        except Exception as error:
            order.refresh_from_db(fields=["attempts"])
            failed = order.attempts >= MAX_ATTEMPTS
            # The claim is given back (unless another worker took it over meanwhile) so that
            # the retry sends it at once.
            ProvisioningOrder.objects.filter(pk=order.pk, claimed_at=claim).exclude(
                status=Status.CONFIRMED
            ).update(
                last_error=str(error)[:2000],
                status=Status.FAILED if failed else order.status,
                claimed_at=None,
            )
            raise
        if not applied:
            # The network confirms later: the claim stays, and once stale the beat job sends
            # the order again under its key until the network has confirmed it.
            ProvisioningOrder.objects.filter(pk=order.pk, status=Status.PENDING).update(
                status=Status.SENT, sent_at=timezone.now()
            )
            break
        if provisioning_confirm(order=order):
            confirmed += 1
    return confirmed


def provisioning_confirm(*, order: ProvisioningOrder) -> bool:
    """The network applied `order`: record it once, and apply what follows from it on our side
    (an unblocking shows the line restored). False when it was already confirmed."""

    with transaction.atomic():
        now = timezone.now()
        claimed = (
            ProvisioningOrder.objects.filter(pk=order.pk)
            .exclude(status=Status.CONFIRMED)
            .update(
                status=Status.CONFIRMED,
                confirmed_at=now,
                sent_at=Coalesce(F("sent_at"), Value(now)),
            )
        )
        if not claimed:
            return False
        if order.action == Action.UNBLOCK:
            line_restore_after_unblock(line_id=order.line_id, order=order)
    return True


def lines_with_orders_to_send(*, created_before) -> list[int]:
    """Lines with orders neither confirmed nor given up, made before `created_before` and not
    claimed since: their queued send was lost (a worker killed, the broker down) or its retries
    ended, or the claim is a dead worker's."""
    return list(
        ProvisioningOrder.objects.filter(
            status__in=[Status.PENDING, Status.SENT], created_at__lt=created_before
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=created_before))
        .values_list("line_id", flat=True)
        .distinct()
        .order_by("line_id")
    )


CUSTOMER_REQUEST = SuspensionCause.Cause.CUSTOMER_REQUEST


class SuspensionRequestRefused(Exception):
    """The request cannot be made; the message is for the person who asked."""


def line_suspension_request(*, line: Line, actor: User, reason: str = "") -> list[Invoice]:
    """R13.2: suspend the line at the customer's request and make every sum owed payable now.

    Decision: the sums owed are those of the months that already started: the month just ended
    if its invoice is not issued yet, and the current month (its fees in full, since the line
    stays subscribed while suspended, its usage so far and its one-off charges). Each is
    invoiced today, due per the grid (R9.3). Prepaid lines owe nothing more: they paid at
    purchase (R10.6). Returns the invoices issued.
    """
    if line.status in (Line.Status.PENDING, Line.Status.TERMINATED):
        raise SuspensionRequestRefused(_("This line is not in service."))
    today = timezone.localdate()
    why = reason or gettext_noop("Suspension asked by the customer (R13.2)")
    with transaction.atomic():
        opened = suspension_open(line=line, cause=CUSTOMER_REQUEST, actor=actor, reason=why)
        if opened is None:
            raise SuspensionRequestRefused(_("The line is already suspended at your request."))
        if not line.offer.is_postpaid:
            return []
        months = [Period.month(today.replace(day=1) - timedelta(days=1)), Period.month(today)]
        issued = [
            invoice_issue(contract_id=line.contract_id, period=period, issued_on=today)
            for period in months
        ]
    return [invoice for invoice in issued if invoice is not None]


def line_suspension_request_lift(*, line: Line, actor: User, reason: str = "") -> None:
    """R13.2: the customer asks for the line back; other causes, if any, stay open (R13.1)."""
    lifted = suspension_lift(
        line=line,
        cause=CUSTOMER_REQUEST,
        actor=actor,
        reason=reason or gettext_noop("Lifted at the customer's request"),
    )
    if lifted is None:
        raise SuspensionRequestRefused(_("The line is not suspended at your request."))


def suspension_extend(
    *, cause: SuspensionCause, until: date, actor: User, reason: str
) -> SuspensionCause:
    """R17.5: staff grant extra time before termination by right, recorded on the line's
    history with who, when and why."""
    with transaction.atomic():
        locked_lines([cause.line_id])
        SuspensionCause.objects.filter(pk=cause.pk).update(extended_until=until)
        cause.extended_until = until
        line_record(
            line=cause.line,
            actor=actor,
            reason=f"{reason} (R17.5: {cause.get_cause_display()}, {until:%d/%m/%Y})"[:255],
        )
    return cause
