"""Use cases on customers, contracts, lines, their options (added: R3.3, R4.2; ended: R17.4) and
the number pool."""

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from catalogue.models import Offer, Option
from catalogue.selectors import option_fee
from subscriptions.lifecycle.records import line_record, line_transition, numbers_move, sims_move
from subscriptions.models import IdentityCheck, Line, LineOption, MobileNumber, SimCard
from subscriptions.models.files import IDENTITY_CHECKS
from subscriptions.services.prepaid import CreditTooLow, prepaid_debit

LIVE = [status for status in Line.Status.values if status != Line.Status.TERMINATED]


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
    taken_over_from: Line | None = None,
) -> Line:
    """R4.1, R4.2: first activation of a line; the contract takes effect on that day. The number
    and the SIM come from the pool and the stock, or from `taken_over_from`, a line ended by a
    transfer that keeps them in service (R18.1)."""
    at = at or timezone.now()
    day = timezone.localdate(at)
    with transaction.atomic():
        if taken_over_from is not None:
            _take_over(line=line, sim=sim, old=taken_over_from)
        else:
            _claim_number_and_sim(line=line, sim=sim)
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


def _claim_number_and_sim(*, line: Line, sim: SimCard) -> None:
    # Claimed with conditional updates, so that two agents cannot hand out one SIM twice.
    if not sims_move(sims=SimCard.objects.filter(pk=sim.pk), to=SimCard.Status.ASSIGNED):
        raise ActivationRefused(f"SIM {sim} is not in stock.")
    sim.refresh_from_db(fields=["status"])
    # R17.3: a number is reassigned only after its quarantine.
    if not numbers_move(
        numbers=MobileNumber.objects.filter(pk=line.number_id), to=MobileNumber.Status.ASSIGNED
    ):
        raise ActivationRefused(f"{line.number} is in quarantine or given to another line.")


def _take_over(*, line: Line, sim: SimCard, old: Line) -> None:
    """R18.1: the number and SIM of a line that a transfer ended stay assigned."""
    handed_over = Line.objects.filter(
        pk=old.pk, status=Line.Status.TERMINATED, number_id=line.number_id, sim_id=sim.pk
    ).exists()
    live_elsewhere = (
        Line.objects.exclude(pk__in=[old.pk, line.pk])
        .filter(Q(number_id=line.number_id) | Q(sim_id=sim.pk), status__in=LIVE)
        .exists()
    )
    if not handed_over or live_elsewhere:
        raise ActivationRefused(f"{line.number} is not handed over by line {old.pk}.")


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


class OptionEndRefused(Exception):
    pass


def line_option_end(*, line_option: LineOption, actor: User) -> LineOption:
    """R17.4: the option ends today; the month's invoice bills it for its days (R9.2) and the
    rest of the contract is left as it is. Claimed by a conditional update: once only."""
    today = timezone.localdate()
    with transaction.atomic():
        if not LineOption.objects.filter(pk=line_option.pk, ended_on__isnull=True).update(
            ended_on=today
        ):
            raise OptionEndRefused(_("This option has ended already."))
        line_option.ended_on = today
        line_record(
            line=line_option.line,
            actor=actor,
            reason=f"Option {line_option.option.name} terminated (R17.4)"[:255],
        )
    return line_option
