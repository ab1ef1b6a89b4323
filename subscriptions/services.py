"""Use cases on customers, contracts, lines and the number pool."""

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from subscriptions.lifecycle import line_transition
from subscriptions.models import Line, MobileNumber, SimCard


class ActivationRefused(Exception):
    """The number or the SIM cannot be given to this line."""


def commitment_end(*, start: date, months: int) -> date | None:
    """R4.2: the last day of a commitment of `months` starting on `start` (None without one)."""
    if not months:
        return None
    return start + relativedelta(months=months) - timedelta(days=1)


def line_activate(
    *,
    line: Line,
    sim: SimCard,
    actor: User | None = None,
    job: str = "",
    at: datetime | None = None,
) -> Line:
    """R4.1, R4.2: first activation of a line; the contract takes effect on that day."""
    at = at or timezone.now()
    day = timezone.localdate(at)
    with transaction.atomic():
        # Claimed with conditional updates, so that two agents cannot hand out one SIM twice.
        if not SimCard.objects.filter(pk=sim.pk, status=SimCard.Status.IN_STOCK).update(
            status=SimCard.Status.ASSIGNED
        ):
            raise ActivationRefused(f"SIM {sim} is not in stock.")
        sim.status = SimCard.Status.ASSIGNED
        # R17.3: a number is reassigned only after its quarantine.
        if (
            not MobileNumber.objects.filter(pk=line.number_id)
            .exclude(status=MobileNumber.Status.QUARANTINE)
            .update(status=MobileNumber.Status.ASSIGNED)
        ):
            raise ActivationRefused(f"{line.number} is in quarantine.")
        line_transition(line=line, to=Line.Status.ACTIVE, actor=actor, job=job, reason="Activation")
        line.sim = sim
        line.activated_at = at
        line.commitment_ends_on = commitment_end(
            start=day, months=line.offer.minimum_commitment_months
        )
        line.save(update_fields=["sim", "activated_at", "commitment_ends_on"])
        contract = line.contract
        if contract.starts_on is None:
            contract.starts_on = day
            contract.save(update_fields=["starts_on"])
    return line
