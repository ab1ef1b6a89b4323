"""The prepaid life cycle (R2.7 to R2.9, R17.3): validity, then grace, then preservation, then the
number is lost and goes to quarantine.

`prepaid_sweep` moves every line that is due and not yet moved, in batches of SWEEP_BATCH_SIZE
rows locked with SKIP LOCKED: two sweeps running at once take different lines, a repeated run
finds nothing left, and a run that missed days walks a line through every period it is late for.
A batch runs a fixed number of statements whatever its size (the grid read once per day), except
for the contracts that end with their last line (`subscriptions.ending.lines_end`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from accounts.models import User
from catalogue.models import GridParameters, Offer
from catalogue.selectors import grid_parameters
from subscriptions.ending import lines_end
from subscriptions.lifecycle import lines_transition
from subscriptions.models import (
    Line,
    PrepaidAccount,
    PrepaidMovement,
    ProvisioningOrder,
)
from subscriptions.provisioning import provisioning_orders_request

S = Line.Status
JOB = "prepaid_sweep"


class CreditTooLow(Exception):
    """A prepaid line's credit does not cover a fee."""


def prepaid_debit(*, line: Line, amount: Decimal, label: str, actor: User) -> PrepaidMovement:
    """R10.6: a prepaid line pays its fees (an option, a SIM replacement) from its credit at
    once, with the movement recorded; refused when the credit is short. In the caller's
    transaction."""
    account, _created = PrepaidAccount.objects.select_for_update().get_or_create(line=line)
    if account.credit < amount:
        raise CreditTooLow(amount)
    account.credit -= amount
    account.save(update_fields=["credit"])
    return PrepaidMovement.objects.create(
        account=account,
        kind=PrepaidMovement.Kind.FEE,
        credit_change=-amount,
        valid_until=account.valid_until,
        actor=actor,
        reason=label,
    )


@dataclass
class SweepResult:
    restored: int = 0
    grace: int = 0
    preservation: int = 0
    terminated: int = 0


def _due(status: str, period_end: str, ended: bool, today: date) -> QuerySet[Line]:
    lookup = "lt" if ended else "gte"
    return Line.objects.filter(
        status=status,
        offer__kind=Offer.Kind.PREPAID,
        **{f"prepaid_account__{period_end}__{lookup}": today},
    )


def _claim(
    status: str, period_end: str, ended: bool, today: date, *, skip_locked: bool
) -> list[Line]:
    """A batch of due lines, locked. The accounts are read after the locks are held: a top-up
    holds the line's lock while it extends the validity, so what is read then is current."""
    lines = list(
        _due(status, period_end, ended, today)
        .select_related("number")
        .select_for_update(skip_locked=skip_locked, of=("self",))
        .order_by("pk")[: settings.SWEEP_BATCH_SIZE]
    )
    accounts = PrepaidAccount.objects.in_bulk([line.pk for line in lines], field_name="line_id")
    for line in lines:
        line.prepaid_account = accounts[line.pk]
    return [
        line
        for line in lines
        if (end := getattr(line.prepaid_account, period_end)) is not None and (end < today) == ended
    ]


def _period_end(account: PrepaidAccount, field: str) -> date:
    """The end of the period a claimed line is leaving (`_claim` keeps only those where it is
    set)."""
    return getattr(account, field)


class _GridDays:
    """Grid parameters read once per day within a batch (R2.8, R2.9 durations)."""

    def __init__(self) -> None:
        self._cache: dict[date, GridParameters] = {}

    def __call__(self, day: date) -> GridParameters:
        if day not in self._cache:
            self._cache[day] = grid_parameters(on=day)
        return self._cache[day]


def _restore(lines: list[Line], grid: _GridDays, today: date) -> None:
    """R2.8: a line in grace whose validity runs again (topped up while it was suspended) is
    active. A line in preservation is shown active only when the network confirms that it may
    call again (suspensions.line_restore_after_unblock), so no step restores it here."""
    for line in lines:
        line.prepaid_account.grace_until = line.prepaid_account.preservation_until = None
    PrepaidAccount.objects.bulk_update(
        [line.prepaid_account for line in lines], ["grace_until", "preservation_until"]
    )
    lines_transition(
        lines=lines,
        to=S.ACTIVE,
        job=JOB,
        reason=gettext_noop("Validity restored by a top-up made while suspended (R2.8, R2.9)"),
    )


def _enter_grace(lines: list[Line], grid: _GridDays, today: date) -> None:
    """R2.8: the day after its validity the line enters 90 days of grace (grid)."""
    for line in lines:
        valid_until = _period_end(line.prepaid_account, "valid_until")
        grace_days = grid(valid_until + timedelta(days=1)).prepaid_grace_days
        line.prepaid_account.grace_until = valid_until + timedelta(days=grace_days)
    PrepaidAccount.objects.bulk_update([line.prepaid_account for line in lines], ["grace_until"])
    lines_transition(
        lines=lines,
        to=S.GRACE,
        job=JOB,
        reason=gettext_noop("Validity ended: grace period (R2.8)"),
    )


def _enter_preservation(lines: list[Line], grid: _GridDays, today: date) -> None:
    """R2.9: after grace, 90 days (grid) of receiving only; the balances are forfeited."""
    forfeits = []
    for line in lines:
        account = line.prepaid_account
        grace_until = _period_end(account, "grace_until")
        preservation_days = grid(grace_until + timedelta(days=1)).prepaid_preservation_days
        account.preservation_until = grace_until + timedelta(days=preservation_days)
        if account.credit or account.bonus:
            forfeits.append(
                PrepaidMovement(
                    account=account,
                    kind=PrepaidMovement.Kind.FORFEIT,
                    credit_change=-account.credit,
                    bonus_change=-account.bonus,
                    valid_until=account.valid_until,
                    job=JOB,
                    reason=gettext_noop("Preservation period: balances forfeited (R2.9)"),
                )
            )
        account.credit = account.bonus = 0
    PrepaidAccount.objects.bulk_update(
        [line.prepaid_account for line in lines], ["preservation_until", "credit", "bonus"]
    )
    PrepaidMovement.objects.bulk_create(forfeits)
    lines_transition(
        lines=lines,
        to=S.PRESERVATION,
        job=JOB,
        reason=gettext_noop("Grace ended: preservation period, receiving only (R2.9)"),
    )
    provisioning_orders_request(
        (
            line,
            ProvisioningOrder.Action.RECEIVE_ONLY,
            f"prepaid-preservation-{line.pk}-{line.prepaid_account.grace_until}",
            "R2.9: preservation period, receiving only",
            {},
        )
        for line in lines
    )


def _terminate(lines: list[Line], grid: _GridDays, today: date) -> None:
    """R2.9, R17.1: preservation over without a top-up, the line ends (its contract with its
    last line): R17.3, the number goes to quarantine and the network releases it."""
    lines_end(
        line_ids=[line.pk for line in lines],
        on=today,
        reason=gettext_noop("Preservation ended without a top-up: number lost (R2.9, R17.3)"),
        job=JOB,
        only_from=[S.PRESERVATION],
        sim_returned=False,
    )


# (result, status left, period end read, whether that period has ended, what is done)
STEPS: list[tuple[str, str, str, bool, Callable[[list[Line], _GridDays, date], None]]] = [
    ("restored", S.GRACE, "valid_until", False, _restore),
    ("grace", S.ACTIVE, "valid_until", True, _enter_grace),
    ("preservation", S.GRACE, "grace_until", True, _enter_preservation),
    ("terminated", S.PRESERVATION, "preservation_until", True, _terminate),
]


def prepaid_sweep(*, today: date) -> SweepResult:
    """Move every prepaid line whose period ended before `today` into the next one; returns how
    many lines entered each period."""
    result = SweepResult()
    grid = _GridDays()
    for name, status, period_end, ended, step in STEPS:
        # First the lines nobody holds, so that sweeps running at once share the work; then,
        # waiting for the locks, the lines a top-up or another job held meanwhile.
        for skip_locked in (True, False):
            while True:
                with transaction.atomic():
                    lines = _claim(status, period_end, ended, today, skip_locked=skip_locked)
                    if lines:
                        step(lines, grid, today)
                if not lines:
                    break
                setattr(result, name, getattr(result, name) + len(lines))
    return result
