"""Use cases on customers, contracts, lines and the number pool."""

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from catalogue.models import Offer, Option
from catalogue.selectors import option_fee
from subscriptions.lifecycle import line_transition
from subscriptions.models import IdentityCheck, Line, LineOption, MobileNumber, SimCard
from subscriptions.models.files import IDENTITY_CHECKS
from subscriptions.prepaid import CreditTooLow, prepaid_debit


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
        line_transition(
            line=line,
            to=Line.Status.ACTIVE,
            actor=actor,
            job=job,
            reason=gettext_noop("Activation"),
        )
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


class OptionRefused(Exception):
    """The option cannot be taken on this line (a message for the person who asked)."""


def _prepaid_option_pay(*, line: Line, option: Option, actor: User, on) -> None:
    """R10.6: a prepaid line pays its option from its credit when it takes it."""
    fee = option_fee(option, on=on)
    try:
        prepaid_debit(line=line, amount=fee, label=f"{option.name} — {line.number}", actor=actor)
    except CreditTooLow:
        raise OptionRefused(
            _("The option costs %(fee)s TND, paid from the credit: top up the line first.")
            % {"fee": fee}
        ) from None


def line_option_add(
    *, line: Line, option: Option, actor: User, channel: str, checks: dict[str, bool]
) -> LineOption:
    """R3.3: after the five identity checks, the option starts today; R4.2: so does its own
    minimum commitment."""
    if not all(checks.get(name) for name in IDENTITY_CHECKS):
        raise OptionRefused("The five identity checks are required (R3.3).")
    if line.status != Line.Status.ACTIVE:
        raise OptionRefused("Options are taken on an active line.")
    if not line.offer.options.filter(pk=option.pk, is_sold=True).exists():
        raise OptionRefused("This option is not available on this offer.")
    today = timezone.localdate()
    with transaction.atomic():
        Line.objects.select_for_update().get(pk=line.pk)
        if line.line_options.filter(option=option, ended_on__isnull=True).exists():
            raise OptionRefused("This option is already active on the line.")
        line_option = LineOption.objects.create(
            line=line,
            option=option,
            started_on=today,
            commitment_ends_on=commitment_end(start=today, months=option.minimum_commitment_months),
        )
        if line.offer.kind == Offer.Kind.PREPAID:
            _prepaid_option_pay(line=line, option=option, actor=actor, on=today)
        IdentityCheck.objects.create(
            line=line,
            option=option,
            channel=channel,
            checked_by=actor,
            line_option=line_option,
            **{name: True for name in IDENTITY_CHECKS},
        )
    return line_option
