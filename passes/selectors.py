"""Reads of passes for the customer's pages: the passes a line holds, their interruptions and
credits, and the month's consumption so far rated by the invoice's own rule (billing.rating)."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone

from billing.models import UsageRecord
from billing.rating import pass_windows, usage_paid_from_balance, usage_split
from catalogue.models import Option
from catalogue.selectors import NotInForce, offer_terms, option_fee
from lib.money import tnd
from passes.models import (
    Interruption,
    InterruptionChange,
    InterruptionCredit,
    PassHolding,
)
from subscriptions.models import Line

ZERO = Decimal("0.000")
Scope = InterruptionChange.Scope


@dataclass
class HeldPass:
    holding: PassHolding
    option: Option
    starts_at: datetime
    ends_at: datetime
    next_fee: Decimal | None
    interruptions: list[tuple[Interruption, InterruptionChange]] = field(default_factory=list)
    credits: list[InterruptionCredit] = field(default_factory=list)

    @property
    def renews(self) -> bool:
        return self.holding.renews and self.holding.ended_at is None


def passes_held(line: Line) -> list[HeldPass]:
    """The line's passes running now, each with its period, its renewal (date and price), the
    interruptions running on it (their scope now) and the credits made for it."""
    now = timezone.now()
    holdings = (
        PassHolding.objects.filter(line_option__line=line, ended_at__isnull=True)
        .select_related("line_option__option")
        .prefetch_related(
            "periods",
            Prefetch(
                "periods__credits",
                queryset=InterruptionCredit.objects.select_related("change"),
            ),
        )
        .order_by("period_ends_at")
    )
    options = [holding.line_option.option_id for holding in holdings]
    running = (
        Interruption.objects.filter(options__in=options, started_at__lte=now)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .prefetch_related("options", "changes")
        .distinct()
    )
    held = []
    for holding in holdings:
        option = holding.line_option.option
        periods = sorted(holding.periods.all(), key=lambda period: period.number)
        current = periods[-1]
        try:
            next_fee = option_fee(option, on=timezone.localdate(holding.period_ends_at))
        except NotInForce:
            next_fee = None
        item = HeldPass(holding, option, current.starts_at, current.ends_at, next_fee)
        for interruption in running:
            if option in interruption.options.all():
                changes = sorted(interruption.changes.all(), key=lambda c: c.effective_at)
                item.interruptions.append((interruption, changes[-1]))
        item.credits = [credit for period in periods for credit in period.credits.all()]
        held.append(item)
    return held


def passes_to_take(line: Line) -> list[tuple[Option, Decimal]]:
    """The passes on sale on the line's offer that it does not hold, with today's price."""
    today = timezone.localdate()
    held = PassHolding.objects.filter(line_option__line=line, ended_at__isnull=True).values(
        "line_option__option_id"
    )
    offers = line.offer.options.filter(is_sold=True, kind=Option.Kind.PASS).exclude(pk__in=held)
    sold = []
    for option in offers.prefetch_related("prices"):
        prices = [p for p in option.prices.all() if p.effective_from <= today]
        if prices:
            sold.append((option, max(prices, key=lambda p: p.effective_from).fee))
    return sold


@dataclass
class KindUse:
    used: Decimal = ZERO
    included: Decimal = ZERO
    allowance: Decimal = ZERO
    charged: Decimal = ZERO
    amount: Decimal = ZERO
    from_balance: bool = False  # R10.7: a capped line's charged usage is paid from its balance

    @property
    def allowance_left(self) -> Decimal:
        return max(ZERO, self.allowance - (self.used - self.included - self.charged))


@dataclass
class Consumption:
    since: datetime
    by_kind: dict[str, KindUse]
    pass_left: list[tuple[str, str, Decimal]]  # pass, usage, quantity left of a limited allowance
    from_balance: bool = False

    @property
    def amount(self) -> Decimal:
        return sum((use.amount for use in self.by_kind.values()), ZERO)


def consumption_so_far(line: Line) -> Consumption:
    """This month's usage up to now, rated as the invoice will rate it: what the passes include,
    what the offer's allowances cover (postpaid), what is charged, and what is left."""
    now = timezone.now()
    since = timezone.make_aware(datetime.combine(timezone.localdate(now).replace(day=1), time.min))
    records = list(
        UsageRecord.objects.filter(line=line, started_at__gte=since, started_at__lte=now)
        .order_by("started_at", "pk")
        .values_list("kind", "quantity", "unit_price", "started_at", "country")
    )
    windows = pass_windows([line.pk], since, now + timedelta(seconds=1)).get(line.pk, [])
    from_balance = usage_paid_from_balance(line.offer)  # R10.7: nothing of it invoiced
    by_kind = {kind: KindUse(from_balance=from_balance) for kind in UsageRecord.Kind.values}
    if line.offer.is_postpaid:
        try:
            terms = offer_terms(line.offer, on=timezone.localdate(now))
        except NotInForce:
            terms = None
        if terms is not None:
            by_kind["voice"].allowance = Decimal(terms.voice_minutes_included)
            by_kind["sms"].allowance = Decimal(terms.sms_included)
            by_kind["data"].allowance = Decimal(terms.data_mb_included)
    left = {kind: use.allowance for kind, use in by_kind.items()}
    for rated in usage_split(records, windows):
        use = by_kind[rated.kind]
        use.used += rated.quantity
        use.included += rated.included
        free = min(left[rated.kind], rated.charged)
        left[rated.kind] -= free
        beyond = rated.charged - free
        use.charged += beyond
        use.amount += tnd(beyond * rated.unit_price)
    pass_left = []
    for window in windows:
        if window.starts_at <= now < window.ends_at:
            for allowance in window.allowances:
                if allowance.limit is not None:
                    quantity = window.left.get(allowance.pk, Decimal(allowance.limit))
                    pass_left.append((window.name, allowance.get_kind_display(), quantity))
    return Consumption(since=since, by_kind=by_kind, pass_left=pass_left, from_balance=from_balance)
