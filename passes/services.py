"""Passes: taken, paid, renewed or ended by their period (R1.2, R10.6, R10.7, R9.2, R4.2).

A pass runs for its week, month or year from the moment it is taken, in local time (Africa/Tunis),
and each renewal starts when the previous period ends. A prepaid line pays each period from its
balance (R10.6), as does a capped postpaid line when the grid says so (R10.7; refused or ended when
the balance is short: the capped invoice never takes it, R1.1); otherwise each period started is a
charge on the invoice of the month it starts. The
renewal job (`passes_renew`, on the beat) takes each due pass under its row lock; a period is
unique per pass and number, so a repeated or concurrent run renews once.
"""

from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.models import Charge
from catalogue.models import Offer, Option
from catalogue.selectors import grid_parameters, option_fee
from passes.models import PassHolding, PassNotice, PassPeriod
from passes.notices import pass_notices_record
from subscriptions.models import Line, LineOption
from subscriptions.services.prepaid import CreditTooLow, prepaid_debit
from subscriptions.services.records import commitment_end

JOB = "passes_renew"
PERIOD_FEE_KIND = "pass"  # Charge.fee_kind of a period (billing/invoicing.py bills it so)
STEPS = {
    Option.Period.WEEK: relativedelta(weeks=1),
    Option.Period.MONTH: relativedelta(months=1),
    Option.Period.YEAR: relativedelta(years=1),
}


class PassRefused(Exception):
    """The pass cannot be taken or changed (a message for the person who asked)."""


def period_end(option: Option, starts_at: datetime) -> datetime:
    """The end of a period started at `starts_at`: the same local time a week, a month or a year
    later (a month from 31 January ends on 28 or 29 February)."""
    local = timezone.localtime(starts_at).replace(tzinfo=None)
    return timezone.make_aware(local + STEPS[Option.Period(option.period)])


def _label(option: Option, line: Line, starts_at: datetime, ends_at: datetime) -> str:
    first = timezone.localtime(starts_at)
    last = timezone.localtime(ends_at)
    return f"{option.name} — {line.number} ({first:%d/%m/%Y %H:%M} - {last:%d/%m/%Y %H:%M})"


def _balance_pays(line: Line, on) -> bool:
    """R10.6: prepaid lines pay from their balance; R10.7: capped postpaid lines too when the
    grid says so. A capped line's invoice stays capped (R1.1): when its balance is short the
    pass is refused or ends (CreditTooLow), it never falls onto the invoice."""
    if line.offer.kind == Offer.Kind.PREPAID:
        return True
    return (
        line.offer.kind == Offer.Kind.CAPPED and grid_parameters(on=on).capped_balance_pays_passes
    )


def _period_open(
    holding: PassHolding, number: int, starts_at: datetime, actor: User | None, job: str
) -> PassPeriod:
    """A period of the pass, paid from the balance or charged to the account (CreditTooLow when a
    prepaid balance is short). In the caller's transaction, under the line's lock."""
    line_option = holding.line_option
    line, option = line_option.line, line_option.option
    on = timezone.localdate(starts_at)
    fee = option_fee(option, on=on)
    ends_at = period_end(option, starts_at)
    label = _label(option, line, starts_at, ends_at)
    period = PassPeriod(
        holding=holding,
        number=number,
        starts_at=starts_at,
        ends_at=ends_at,
        fee=fee,
        actor=actor,
        job=job,
    )
    if _balance_pays(line, on):
        period.movement = prepaid_debit(line=line, amount=fee, label=label[:255], actor=actor)
        if job:
            period.movement.job = job
            period.movement.save(update_fields=["job"])
    else:
        period.charge = Charge.objects.create(
            contract_id=line.contract_id,
            line=line,
            fee_kind=PERIOD_FEE_KIND,
            label=label[:200],
            amount=fee,
            charged_on=on,  # R9.2: billed by the invoice of the month the period starts
        )
    period.save()
    holding.period_ends_at = ends_at
    holding.save(update_fields=["period_ends_at"])
    return period


def pass_open(
    *, line_option: LineOption, actor: User | None, at: datetime | None = None
) -> PassHolding:
    """R1.2: a pass just taken (its `LineOption` created) starts its first period now, paid or
    charged at once. In the caller's transaction; PassRefused when a prepaid balance is short."""
    at = at or timezone.now()
    holding = PassHolding.objects.create(
        line_option=line_option, renews=line_option.option.renews, period_ends_at=at
    )
    try:
        _period_open(holding, 1, at, actor, "")
    except CreditTooLow:
        fee = option_fee(line_option.option, on=timezone.localdate(at))
        raise PassRefused(
            _("The pass costs %(fee)s TND, paid from the credit: top up the line first.")
            % {"fee": fee}
        ) from None
    return holding


def pass_take(*, line: Line, option: Option, actor: User) -> PassHolding:
    """The customer takes a pass on their line in self-care (signed in, the line theirs): it
    starts now, paid from the balance or billed this month."""
    if option.kind != Option.Kind.PASS:
        raise PassRefused(_("This is not a pass."))
    if line.status != Line.Status.ACTIVE:
        raise PassRefused(_("A pass is taken on a line in service."))
    if not line.offer.options.filter(pk=option.pk, is_sold=True).exists():
        raise PassRefused(_("This pass is not available on this offer."))
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        Line.objects.select_for_update().get(pk=line.pk)
        if LineOption.objects.filter(line=line, option=option, ended_on__isnull=True).exists():
            raise PassRefused(_("This pass is already held on the line."))
        line_option = LineOption.objects.create(
            line=line,
            option=option,
            started_on=today,
            commitment_ends_on=commitment_end(start=today, months=option.minimum_commitment_months),
        )
        return pass_open(line_option=line_option, actor=actor, at=now)


def pass_renewal_set(*, holding: PassHolding, renews: bool, actor: User) -> PassHolding:
    """The customer stops (or restarts) the renewal: the period running goes on to its end,
    only the next one is concerned. R4.2: a renewal is not stopped within the pass's minimum
    commitment."""
    with transaction.atomic():
        holding = (
            PassHolding.objects.select_for_update().select_related("line_option").get(pk=holding.pk)
        )
        if holding.ended_at:
            raise PassRefused(_("This pass has ended."))
        commitment = holding.line_option.commitment_ends_on
        if not renews and commitment and commitment >= timezone.localdate(holding.period_ends_at):
            raise PassRefused(
                _("This pass is committed until %(date)s: its renewal cannot stop before.")
                % {"date": commitment.strftime("%d/%m/%Y")}
            )
        holding.renews = renews
        holding.renewal_stopped_at = None if renews else timezone.now()
        holding.renewal_stopped_by = None if renews else actor
        holding.save(update_fields=["renews", "renewal_stopped_at", "renewal_stopped_by"])
    return holding


def _end(holding: PassHolding, ending: str) -> None:
    holding.ended_at = holding.period_ends_at
    holding.ending = ending
    holding.save(update_fields=["ended_at", "ending"])
    LineOption.objects.filter(pk=holding.line_option_id, ended_on__isnull=True).update(
        ended_on=timezone.localdate(holding.period_ends_at)
    )


def _renew_one(holding_id: int, now: datetime, job: str) -> int:
    """Renew or end one due pass, as many periods as it is late; returns periods opened."""
    opened = 0
    with transaction.atomic():
        holding = (
            PassHolding.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("line_option__line__offer", "line_option__line__number")
            .select_related("line_option__option")
            .filter(pk=holding_id, ended_at__isnull=True, period_ends_at__lte=now)
            .first()
        )
        if holding is None:  # renewed or ended meanwhile, or taken by another run
            return 0
        line_option = holding.line_option
        line = (
            Line.objects.select_for_update()
            .select_related("offer", "number")
            .get(pk=line_option.line_id)
        )
        line_option.line = line
        events = []
        while holding.ended_at is None and holding.period_ends_at <= now:
            number = holding.periods.count() + 1
            ending = ""
            if line_option.ended_on and line_option.ended_on <= timezone.localdate(
                holding.period_ends_at
            ):
                ending = PassHolding.Ending.OPTION_ENDED
            elif not holding.renews:
                ending = PassHolding.Ending.NOT_RENEWED
            elif line.status != Line.Status.ACTIVE:
                ending = PassHolding.Ending.LINE_NOT_ACTIVE
            else:
                try:
                    with transaction.atomic():
                        _period_open(holding, number, holding.period_ends_at, None, job)
                    opened += 1
                    events.append((PassNotice.Kind.RENEWED, number))
                    continue
                except CreditTooLow:
                    ending = PassHolding.Ending.BALANCE_TOO_LOW
            _end(holding, ending)
            events.append((PassNotice.Kind.ENDED, number - 1))
        pass_notices_record(
            [(line, holding, kind, f"pass:{holding.pk}:{n}:{kind}") for kind, n in events]
        )
    return opened


def passes_due(*, now: datetime, limit: int) -> list[int]:
    """Passes whose period has ended and that are neither renewed nor ended yet."""
    return list(
        PassHolding.objects.filter(ended_at__isnull=True, period_ends_at__lte=now)
        .order_by("period_ends_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def passes_renew(*, now: datetime | None = None, limit: int = 500, job: str = JOB) -> int:
    """The beat's job: every due pass renewed (paid or charged) or ended, its customer told once.
    Returns the periods opened; a second run at once or later finds nothing left to do."""
    now = now or timezone.now()
    return sum(_renew_one(pk, now, job) for pk in passes_due(now=now, limit=limit))
