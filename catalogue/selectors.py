"""Reads of the tariff grid. `in_force` is the one rule for "the price on a given day" (R1.3)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from django.db.models import F, Prefetch, Q, QuerySet

from catalogue.models import (
    EffectiveDated,
    Fee,
    GridParameters,
    InternationalRate,
    Offer,
    OfferTerms,
    Option,
    OptionPrice,
    PrepaidValidity,
)

Row = TypeVar("Row", bound=EffectiveDated)


class NotInForce(LookupError):
    """The grid has no row in force on that day: a gap in the grid, to be fixed by a supervisor."""


def in_force(rows: QuerySet[Row], *, on: date) -> Row:
    """R1.3: the row of `rows` whose effective date is the latest on or before `on`."""
    row = rows.filter(effective_from__lte=on).order_by("-effective_from").first()
    if row is None:
        raise NotInForce(f"No {rows.model._meta.verbose_name} in force on {on}.")
    return row


def offer_terms(offer: Offer, *, on: date) -> OfferTerms:
    return in_force(offer.terms.all(), on=on)


def option_fee(option: Option, *, on: date) -> Decimal:
    return in_force(option.prices.all(), on=on).fee


def international_rate(offer: Offer, zone: str, *, on: date) -> Decimal:
    return in_force(InternationalRate.objects.filter(offer=offer, zone=zone), on=on).rate_per_minute


def fee_amount(kind: str, *, on: date, offer: Offer | None = None) -> Decimal:
    """A one-off fee or deposit; a row for the offer wins over the row for every offer."""
    rows = Fee.objects.filter(kind=kind, effective_from__lte=on).filter(
        Q(offer=offer) | Q(offer__isnull=True) if offer else Q(offer__isnull=True)
    )
    row = rows.order_by(F("offer").asc(nulls_last=True), "-effective_from").first()
    if row is None:
        raise NotInForce(f"No {Fee.Kind(kind).label} in force on {on}.")
    return row.amount


def grid_parameters(*, on: date) -> GridParameters:
    return in_force(GridParameters.objects.all(), on=on)


def prepaid_validity_days(amount: Decimal, *, on: date) -> int:
    """R2.7: days of validity a top-up of `amount` opens, from the table in force on `on`."""
    table_date = in_force(PrepaidValidity.objects.all(), on=on).effective_from
    tier = (
        PrepaidValidity.objects.filter(effective_from=table_date, minimum_top_up__lte=amount)
        .order_by("-minimum_top_up")
        .first()
    )
    if tier is None:
        raise NotInForce(f"No validity for a top-up of {amount} TND on {on}.")
    return tier.validity_days


def _latest_among(rows: list[Row], on: date, what: str) -> Row:
    """R1.3 in memory, for rows sorted newest first: the latest effective on or before `on`."""
    for row in rows:
        if row.effective_from <= on:
            return row
    raise NotInForce(f"No {what} in force on {on}.")


def _prices_over(
    rows: list[Row], first: date, last: date, what: str, price: Callable[[Row], Decimal]
) -> list[tuple[date, date, Decimal]]:
    """R1.3 over days: [first, last] cut at each row that takes effect in it, each part with
    the price in force on its days (consecutive parts at the same price are one)."""
    parts: list[tuple[date, date, Decimal]] = []
    day = first
    while day <= last:
        amount = price(_latest_among(rows, day, what))
        starts = [row.effective_from for row in rows if day < row.effective_from <= last]
        stop = min(starts) - timedelta(days=1) if starts else last
        if parts and parts[-1][2] == amount:
            parts[-1] = (parts[-1][0], stop, amount)
        else:
            parts.append((day, stop, amount))
        day = stop + timedelta(days=1)
    return parts


class GridSnapshot:
    """The offers, their prices, the options' prices and the grid parameters, read once (a grid
    holds a few hundred rows), answering "the row in force on a day" (R1.3) in memory: for a
    billing batch that prices thousands of lines with the same few rows."""

    def __init__(self) -> None:
        self.offers = {offer.pk: offer for offer in Offer.objects.all()}
        self._terms: dict[int, list[OfferTerms]] = {}
        for terms in OfferTerms.objects.order_by("-effective_from"):
            self._terms.setdefault(terms.offer_id, []).append(terms)
        self._prices: dict[int, list[OptionPrice]] = {}
        for price in OptionPrice.objects.order_by("-effective_from"):
            self._prices.setdefault(price.option_id, []).append(price)
        self._parameters = list(GridParameters.objects.order_by("-effective_from"))

    def offer_terms(self, offer: Offer, *, on: date) -> OfferTerms:
        return _latest_among(self._terms.get(offer.pk, []), on, f"terms of {offer}")

    def option_fee(self, option: Option, *, on: date) -> Decimal:
        return _latest_among(self._prices.get(option.pk, []), on, f"price of {option}").fee

    def offer_fees(
        self, offer: Offer, *, first: date, last: date
    ) -> list[tuple[date, date, Decimal]]:
        """The offer's monthly fee over [first, last], cut where it changes (R1.3)."""
        rows = self._terms.get(offer.pk, [])
        return _prices_over(rows, first, last, f"terms of {offer}", lambda row: row.monthly_fee)

    def option_fees(
        self, option: Option, *, first: date, last: date
    ) -> list[tuple[date, date, Decimal]]:
        """The option's fee over [first, last], cut where it changes (R1.3)."""
        rows = self._prices.get(option.pk, [])
        return _prices_over(rows, first, last, f"price of {option}", lambda row: row.fee)

    def grid_parameters(self, *, on: date) -> GridParameters:
        return _latest_among(self._parameters, on, "grid parameters")


@dataclass(frozen=True)
class OfferCard:
    offer: Offer
    terms: OfferTerms


@dataclass(frozen=True)
class OptionCard:
    option: Option
    fee: Decimal


def _latest_on(prefetched: list[Row]) -> Row | None:
    return prefetched[0] if prefetched else None


def offers_on_sale(*, on: date) -> list[OfferCard]:
    """Offers on sale with their terms in force, in two queries whatever the grid's size."""
    up_to_day = OfferTerms.objects.filter(effective_from__lte=on).order_by("-effective_from")
    offers = Offer.objects.filter(is_sold=True).prefetch_related(
        Prefetch("terms", queryset=up_to_day, to_attr="terms_up_to_day")
    )
    return [
        OfferCard(offer=offer, terms=terms)
        for offer in offers
        if (terms := _latest_on(offer.terms_up_to_day)) is not None
    ]


def options_on_sale(*, on: date) -> list[OptionCard]:
    """Options and passes on sale with their fee in force, in two queries."""
    up_to_day = OptionPrice.objects.filter(effective_from__lte=on).order_by("-effective_from")
    options = Option.objects.filter(is_sold=True).prefetch_related(
        Prefetch("prices", queryset=up_to_day, to_attr="prices_up_to_day")
    )
    return [
        OptionCard(option=option, fee=price.fee)
        for option in options
        if (price := _latest_on(option.prices_up_to_day)) is not None
    ]


@dataclass(frozen=True)
class SubscriptionPrices:
    """Issue 14, point 4: what a subscription costs, shown before the customer commits (the
    summary step and the form to sign): the offer's monthly fee, each option's fee for its period,
    the one-off connection fee and the deposit (R1.3, R12.1), all in force on the same day."""

    offer: OfferCard
    options: list[OptionCard]
    connection_fee: Decimal
    deposit: Decimal

    @property
    def monthly_total(self) -> Decimal:
        """The offer's fee and the fees of the options billed by the month."""
        monthly = [card.fee for card in self.options if card.option.period == Option.Period.MONTH]
        return self.offer.terms.monthly_fee + sum(monthly, Decimal(0))


def subscription_prices(offer: Offer, options: list[Option], *, on: date) -> SubscriptionPrices:
    """In five queries however many options: their prices are read together (R1.3 in memory)."""
    prices: dict[int, list[OptionPrice]] = {}
    for price in OptionPrice.objects.filter(option__in=options).order_by("-effective_from"):
        prices.setdefault(price.option_id, []).append(price)
    return SubscriptionPrices(
        offer=OfferCard(offer=offer, terms=offer_terms(offer, on=on)),
        options=[
            OptionCard(
                option=option,
                fee=_latest_among(prices.get(option.pk, []), on, f"price of {option}").fee,
            )
            for option in options
        ],
        connection_fee=fee_amount(Fee.Kind.CONNECTION, on=on, offer=offer),
        deposit=fee_amount(Fee.Kind.DEPOSIT, on=on, offer=offer),
    )
