"""R10.7: the monthly fees of ordinary options (not passes) on a capped postpaid line, paid in
advance from the line's top-up balance when the grid says so (`capped_balance_pays_options`).

One rule with passes (passes/services.py): the balance pays each period as it starts; when the
balance is short the option ends on the last day paid (on the day it was taken when no month
was paid), as a pass ends when its renewal is not paid; its fee never falls onto the capped
invoice (R1.1), which shows each month paid at 0.000 (billing/invoicing.py). A month is debited
at the first run of the renewal job in that month, or after the option is taken, for its days
(R9.2), once: `OptionMonthPaid` is unique per option taken and month, taken under the option's
row lock, so reruns and concurrent runs debit it once.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.invoicing import Period
from catalogue.models import Offer, Option
from catalogue.selectors import grid_parameters, option_fee
from lib.money import tnd
from passes.models import OptionMonthPaid
from subscriptions.models import Line, LineOption
from subscriptions.services.prepaid import CreditTooLow, prepaid_debit

JOB = "option_fees_pay"


def month_fee(option: Option, *, first: date) -> Decimal:
    """The fee of the month from `first` to its last day, prorated by day (R9.2) at the price in
    force on `first`."""
    month = Period.month(first)
    days = (month.end - first).days + 1
    return tnd(option_fee(option, on=first) * days / month.days)


def option_fees_due(*, today: date, limit: int) -> list[int]:
    """The options running today on capped lines whose month is not paid yet."""
    if not grid_parameters(on=today).capped_balance_pays_options:  # fees_paid_from_balance
        return []
    return list(
        LineOption.objects.filter(
            line__offer__kind=Offer.Kind.CAPPED,
            option__period=Option.Period.MONTH,
            started_on__lte=today,
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .exclude(option__kind=Option.Kind.PASS)
        .exclude(line__status=Line.Status.TERMINATED)
        .exclude(months_paid__month=today.replace(day=1))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def _pay_one(line_option_id: int, today: date, job: str) -> bool:
    month = today.replace(day=1)
    with transaction.atomic():
        taken = (
            LineOption.objects.select_for_update(of=("self",))
            .select_related("line__number", "option")
            .filter(pk=line_option_id)
            .first()
        )
        if (
            taken is None
            or (taken.ended_on and taken.ended_on < today)
            or taken.months_paid.filter(month=month).exists()
        ):
            return False  # ended, or paid by another run meanwhile
        first = max(taken.started_on, month)
        fee = month_fee(taken.option, first=first)
        last = Period.month(month).end
        label = f"{taken.option.name} — {taken.line.number} ({first:%d/%m/%Y} - {last:%d/%m/%Y})"
        try:
            with transaction.atomic():
                movement = prepaid_debit(line=taken.line, amount=fee, label=label, actor=None)
        except CreditTooLow:  # R10.7: ends on the last day paid, never billed on the invoice
            taken.ended_on = max(taken.started_on, month - timedelta(days=1))
            taken.save(update_fields=["ended_on"])
            return False
        movement.job = job
        movement.save(update_fields=["job"])
        OptionMonthPaid.objects.create(
            line_option=taken, month=month, fee=fee, movement=movement, job=job
        )
    return True


def option_fees_pay(*, today: date | None = None, limit: int = 500, job: str = JOB) -> int:
    """The renewal job's second part: this month's fee of each option due paid from its line's
    balance, or the option ended. Returns the months paid; a second run finds nothing to do."""
    today = today or timezone.localdate()
    return sum(_pay_one(pk, today, job) for pk in option_fees_due(today=today, limit=limit))
