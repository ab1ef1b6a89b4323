"""The daily sweeps that suspend, restore and terminate lines because of time and money.

Each sweep is a query for the lines due and not yet done, worked in batches: a batch is locked
with `FOR UPDATE SKIP LOCKED` (a concurrent run of any sweep takes other lines), acted on in one
transaction by the set-based functions of `subscriptions.services.suspensions`, and committed; a
last pass
without SKIP LOCKED waits for the lines other runs held and re-checks them under their lock. So a
sweep run twice, or three sweeps at the same time, act once per line, and a run killed between
batches leaves whole batches done and the rest due for the next run.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User
from billing.models import AdvancePaymentRequest, Invoice
from billing.payments import LIVE
from catalogue.selectors import grid_parameters
from lib.money import ZERO
from subscriptions.models import Line, SubscriptionFile, SuspensionCause
from subscriptions.services.ending import lines_end
from subscriptions.services.suspensions import SUSPENDABLE, suspensions_lift, suspensions_open

S = Line.Status

Cause = SuspensionCause.Cause

# R17.5: the operator's causes end in termination by right; a lost SIM or a suspension the
# customer asked for does not.
TERMINATING_CAUSES = [
    Cause.INCOMPLETE_FILE,
    Cause.LATE_PAYMENT,
    Cause.LATE_ADVANCE,
    Cause.CREDIT_LIMIT,
    Cause.FRAUD,
    Cause.NATIONAL_SECURITY,
]


def _open(cause: str, **lookups) -> Exists:
    return Exists(
        SuspensionCause.objects.filter(
            line=OuterRef("pk"), cause=cause, lifted_at__isnull=True, **lookups
        )
    )


def _chunks(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


Recheck = Callable[[QuerySet[Line]], QuerySet[Line]]


def _in_batches(
    due: QuerySet[Line], act: Callable[[list[int]], int], *, recheck: Recheck | None = None
) -> int:
    """Read the ids of the lines due once, then work them in batches: each batch locks its lines
    (skipping those another run holds), keeps those still due (`recheck` narrows the batch by
    the same condition written to be cheap on a few lines; `due` itself by default) and acts on
    them in one transaction. The lines other runs held are taken last, waiting for their locks."""
    # A batch of SWEEP_BATCH_SIZE (2,000) lines holds as many row locks and writes about five
    # rows per line (cause, history, outbox, two notifications) in a fixed number of statements;
    # a run killed in the middle loses at most its uncommitted batch.
    size = settings.SWEEP_BATCH_SIZE
    narrow = recheck or (lambda lines: due.filter(pk__in=lines.values("pk")))
    done, held = 0, []

    def work(batch: list[int], *, skip_locked: bool) -> None:
        nonlocal done
        with transaction.atomic():
            locked = list(
                Line.objects.filter(pk__in=batch)
                .select_for_update(skip_locked=skip_locked, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            held.extend(sorted(set(batch) - set(locked)))
            still_due = list(
                narrow(Line.objects.filter(pk__in=locked)).values_list("pk", flat=True)
            )
            done += act(still_due) if still_due else 0

    for batch in _chunks(list(due.order_by("pk").values_list("pk", flat=True)), size):
        work(batch, skip_locked=True)
    for batch in _chunks(sorted(held), size):
        work(batch, skip_locked=False)  # waits for the other runs, then re-checks
    return done


def _suspend(
    due: QuerySet[Line], cause: str, reason: str, job: str, recheck: Recheck | None = None
) -> int:
    def not_yet_done(lines: QuerySet[Line]) -> QuerySet[Line]:
        return lines.filter(status__in=[*SUSPENDABLE, S.SUSPENDED]).exclude(_open(cause))

    return _in_batches(
        not_yet_done(due),
        lambda ids: len(suspensions_open(line_ids=ids, cause=cause, reason=reason, job=job)),
        recheck=(lambda lines: not_yet_done(recheck(lines))) if recheck else None,
    )


def _lift(
    lines: QuerySet[Line],
    cause: str,
    reason: str,
    job: str,
    recheck: Recheck | None = None,
    actor: User | None = None,
) -> int:
    return _in_batches(
        lines.filter(_open(cause)),
        lambda ids: len(
            suspensions_lift(line_ids=ids, cause=cause, reason=reason, actor=actor, job=job)
        ),
        recheck=(lambda batch: recheck(batch).filter(_open(cause))) if recheck else None,
    )


# R13.1, R17.1: the pieces of a file not received 3 days (grid) after the line's activation.


def _incomplete_file(now: datetime) -> Q:
    return Q(
        subscription_file__status=SubscriptionFile.Status.ACTIVE,
        subscription_file__completed_at__isnull=True,
        subscription_file__documents_due_at__lte=now,
    )


def incomplete_files_suspend(*, now: datetime) -> int:
    """R13.1: suspend the lines whose file is still incomplete at its deadline."""
    reason = gettext_noop("File incomplete after its deadline (R13.1)")
    return _suspend(
        Line.objects.filter(_incomplete_file(now)), Cause.INCOMPLETE_FILE, reason, JOB_FILES
    )


def incomplete_files_lift(*, now: datetime) -> int:
    """R13.1: lift the cause once the file is complete."""
    completed = Line.objects.filter(subscription_file__completed_at__isnull=False)
    return _lift(completed, Cause.INCOMPLETE_FILE, gettext_noop("File complete"), JOB_FILES)


def incomplete_files_terminate(*, now: datetime) -> int:
    """R17.1: a line suspended for its file and still incomplete after the grid's days is
    terminated."""
    days = grid_parameters(on=timezone.localdate(now)).incomplete_file_termination_days
    due = Line.objects.filter(
        _incomplete_file(now),
        _open(Cause.INCOMPLETE_FILE, opened_at__lte=now - timedelta(days=days)),
        status=S.SUSPENDED,
    )
    reason = gettext_noop("Terminated: file still incomplete (R17.1)")
    return _in_batches(
        due,
        lambda ids: _terminate_by_right(
            ids, on=timezone.localdate(now), reason=reason, job=JOB_FILES
        ),
    )


# R10.4: an invoice unpaid after its due date plus the grid's delay suspends every line of the
# customer, prepaid ones included; paying in full lifts the cause on all of them at once.


def _unpaid_after_delay(today: date) -> QuerySet[Invoice]:
    cutoff = today - timedelta(days=grid_parameters(on=today).overdue_suspension_days)
    return (
        Invoice.objects.filter(kind=Invoice.Kind.INVOICE, due_on__lt=cutoff)
        .annotate(paid=Coalesce(Sum("allocations__amount", filter=LIVE), ZERO))
        .filter(paid__lt=F("total_incl_tax"))
    )


def overdue_customers(*, today: date) -> QuerySet:
    """The customers with an invoice still owed after its due date plus the grid's delay (one
    pass over the invoices: for the sweep's first reading of every line)."""
    return _unpaid_after_delay(today).values("contract__customer_id")


def _overdue_among(lines: QuerySet[Line], today: date) -> list[int]:
    """The same among the customers of a batch of lines: their invoices only, found through the
    indexes from the customers' ids (a subquery here would make PostgreSQL read every invoice)."""
    customers = set(lines.values_list("contract__customer_id", flat=True))
    return list(
        _unpaid_after_delay(today)
        .filter(contract__customer_id__in=customers)
        .values_list("contract__customer_id", flat=True)
    )


def overdue_invoices_suspend(*, today: date) -> int:
    """R10.4: suspend every line of the customers late with an invoice."""
    due = Line.objects.filter(contract__customer_id__in=overdue_customers(today=today))
    reason = gettext_noop("Invoice unpaid after its due date (R10.4)")
    return _suspend(
        due,
        Cause.LATE_PAYMENT,
        reason,
        JOB_PAYMENTS,
        lambda batch: batch.filter(contract__customer_id__in=_overdue_among(batch, today)),
    )


def overdue_invoices_lift(*, today: date, customer_id: int | None = None) -> int:
    """R10.4: lift the cause on every line of the customers no longer late."""
    paid = Line.objects.exclude(contract__customer_id__in=overdue_customers(today=today))
    if customer_id is not None:
        paid = paid.filter(contract__customer_id=customer_id)
    reason = gettext_noop("Overdue invoices paid (R10.4)")
    return _lift(
        paid,
        Cause.LATE_PAYMENT,
        reason,
        JOB_PAYMENTS,
        lambda batch: batch.exclude(contract__customer_id__in=_overdue_among(batch, today)),
    )


# R11.2, R13.1: credit limit exceeded (an advance is asked) or an advance not paid in time.


def _advance_asked(reason: str | None = None, asked_before: date | None = None) -> Exists:
    requests = AdvancePaymentRequest.objects.filter(
        contract=OuterRef("contract"), payment__isnull=True
    )
    if reason:
        requests = requests.filter(reason=reason)
    if asked_before:
        requests = requests.filter(requested_on__lt=asked_before)
    return Exists(requests)


def _advance_late_before(today: date) -> date:
    # Decision: an advance is due within the same days as an invoice (R9.3, grid).
    return today - timedelta(days=grid_parameters(on=today).invoice_due_days)


def credit_control_suspend(*, today: date) -> int:
    """R13.1: suspend the lines of accounts over their credit limit (an advance is asked,
    R11.2), and of accounts that have not paid an advance in time."""
    over = Line.objects.filter(_advance_asked(AdvancePaymentRequest.Reason.CREDIT_LIMIT))
    late = Line.objects.filter(_advance_asked(asked_before=_advance_late_before(today)))
    return _suspend(
        over, Cause.CREDIT_LIMIT, gettext_noop("Credit limit exceeded (R11.2)"), JOB_CREDIT
    ) + _suspend(late, Cause.LATE_ADVANCE, gettext_noop("Advance payment late (R11.2)"), JOB_CREDIT)


def credit_control_lift(
    *, today: date, customer_id: int | None = None, actor: User | None = None
) -> int:
    """R13.1: lift the causes once the advance is paid, in the name of the agent who recorded it
    (`actor`) or of the sweep."""
    lines = Line.objects.all()
    if customer_id is not None:
        lines = lines.filter(contract__customer_id=customer_id)
    paid = gettext_noop("Advance payment received (R11.2)")
    job = "" if actor else JOB_CREDIT
    over = lines.exclude(_advance_asked(AdvancePaymentRequest.Reason.CREDIT_LIMIT))
    late = lines.exclude(_advance_asked(asked_before=_advance_late_before(today)))
    return _lift(over, Cause.CREDIT_LIMIT, paid, job, actor=actor) + _lift(
        late, Cause.LATE_ADVANCE, paid, job, actor=actor
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
    return _in_batches(
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


JOB_FILES = "sweep: incomplete files"

JOB_PAYMENTS = "sweep: overdue invoices"

JOB_CREDIT = "sweep: credit control"

JOB_TERMINATE = "sweep: termination by right"


# What the beat jobs and the management commands run, by name: how many lines each step moved.
def incomplete_files_sweep(*, now: datetime) -> dict[str, int]:
    return {
        "lifted": incomplete_files_lift(now=now),
        "suspended": incomplete_files_suspend(now=now),
        "terminated": incomplete_files_terminate(now=now),
    }


def overdue_invoices_sweep(*, now: datetime) -> dict[str, int]:
    today = timezone.localdate(now)
    return {
        "lifted": overdue_invoices_lift(today=today),
        "suspended": overdue_invoices_suspend(today=today),
    }


def credit_control_suspensions_sweep(*, now: datetime) -> dict[str, int]:
    today = timezone.localdate(now)
    return {
        "lifted": credit_control_lift(today=today),
        "suspended": credit_control_suspend(today=today),
    }


def terminations_sweep(*, now: datetime) -> dict[str, int]:
    return {"terminated": suspended_lines_terminate(now=now)}


SWEEPS: dict[str, Callable[..., dict[str, int]]] = {
    "incomplete_files": incomplete_files_sweep,
    "overdue_invoices": overdue_invoices_sweep,
    "credit_control": credit_control_suspensions_sweep,
    "terminations": terminations_sweep,
}


def settled_suspensions_lift(*, customer_id: int, today: date) -> int:
    """After a payment: the customer's late-payment and credit causes that it settles are
    lifted on all their lines at once (R10.4, R11.2)."""
    return overdue_invoices_lift(today=today, customer_id=customer_id) + credit_control_lift(
        today=today, customer_id=customer_id
    )
