"""The rows of the mediation's usage records (CSV, documented in docs/usage-csv.md): read,
checked and priced; `billing.usage_import` reads the file in chunks and stores them.

A bad row is refused with its row number and the good rows still go in; a row already
imported (same line, time, kind, destination and quantity) is not imported again. Issue 16:
no cell aborts the import (NaN, Infinity, overflowing or vanishing quantities, over-long
destinations, times in the future or before the line existed are refused per row), and the
duplicate key is built from the parsed values, so the same call spelled differently (`60`,
`60.0`, `6E+1`; `09:00:00Z`, `10:00+01:00`; a padded destination) is one record.
"""

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import cast

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing.models import UsageRecord
from billing.rating import DestinationTable, number_digits
from catalogue.selectors import NotInForce, international_rate, offer_terms
from lib.identifiers import normalize_msisdn
from subscriptions.models import Line

COLUMNS = ["msisdn", "started_at", "kind", "destination", "quantity"]
KINDS = {choice.value for choice in UsageRecord.Kind}
THOUSANDTH = Decimal("0.001")
_QUANTITY = UsageRecord._meta.get_field("quantity")
QUANTITY_LIMIT = Decimal(10) ** (_QUANTITY.max_digits - _QUANTITY.decimal_places)
DESTINATION_MAX = cast(int, UsageRecord._meta.get_field("destination").max_length)  # a CharField


class RowRefused(ValueError):
    pass


@dataclass
class UsagePrices:
    """Grid lookups cached for the file: one query per offer and day, not per row."""

    cache: dict = field(default_factory=dict)
    destinations: DestinationTable = field(default_factory=DestinationTable)

    def country_and_zone(self, destination: str, day: date) -> tuple[str, str]:
        """R1.1: a called number is rated by its longest prefix in the grid (its country and
        zone); a zone code written by an older mediation file is taken as the zone."""
        if number_digits(destination) is None:
            return "", destination
        try:
            found = self.destinations.destination(destination, on=day)
        except NotInForce as error:
            raise RowRefused(f"destination: {error}") from error
        return found.country, found.zone

    def unit_price(self, line: Line, kind: str, destination: str, day: date) -> Decimal:
        key = (line.offer_id, kind, destination if kind == "international" else "", day)
        if key not in self.cache:
            try:
                if kind == "international":
                    self.cache[key] = international_rate(line.offer, destination, on=day)
                else:
                    terms = offer_terms(line.offer, on=day)
                    self.cache[key] = {
                        "voice": terms.voice_rate,
                        "sms": terms.sms_rate,
                        "data": terms.data_rate_per_mb,
                    }[kind]
            except NotInForce as error:
                raise RowRefused(f"no price in the grid: {error}") from error
        return self.cache[key]

    def price(
        self, lines: dict[str, list[Line]], msisdn: str, at: datetime, kind: str, destination: str
    ) -> tuple[Line, str, Decimal]:
        """The line that made the record, the country called and the unit price of the day."""
        line = _line_on(lines, msisdn, at)
        country, zone = "", destination
        if kind == "international":
            country, zone = self.country_and_zone(destination, timezone.localdate(at))
        return line, country, self.unit_price(line, kind, zone, timezone.localdate(at))


def lines_of(numbers: set[str]) -> dict[str, list[Line]]:
    """The lines that held these numbers, latest first."""
    lines: dict[str, list[Line]] = {}
    for line in (
        Line.objects.filter(number__msisdn__in=numbers)
        .select_related("offer", "number")
        .order_by("-activated_at")
    ):
        lines.setdefault(line.number.msisdn, []).append(line)
    return lines


@functools.lru_cache(maxsize=4096)
def _msisdn(cell: str) -> str:
    """A number as the mediation spells it, normalised once per spelling: parsing a number is
    most of the cost of a row, and a file repeats the same few thousand numbers."""
    return normalize_msisdn(cell)


def _line_on(lines: dict[str, list[Line]], msisdn: str, at: datetime) -> Line:
    """The line that held the number at that time (a number may have served an earlier line)."""
    for line in lines.get(msisdn, []):
        if line.activated_at and line.activated_at <= at:
            return line
    raise RowRefused(f"no line held {msisdn} at {at:%Y-%m-%d %H:%M}")


def parse_row(row: dict) -> tuple[str, datetime, str, str, Decimal]:
    try:
        msisdn = _msisdn(row.get("msisdn") or "")
    except ValidationError as error:
        raise RowRefused(
            f"msisdn: {row.get('msisdn')!r} is not a Tunisian mobile number"
        ) from error
    at = _started_at(row.get("started_at"))
    kind = (row.get("kind") or "").strip().lower()
    if kind not in KINDS:
        raise RowRefused(f"kind: {kind!r} is not one of {', '.join(sorted(KINDS))}")
    if at > timezone.now():
        raise RowRefused(f"started_at: {row.get('started_at')!r} is in the future")
    destination = " ".join((row.get("destination") or "").split())
    if kind == "international" and not destination:
        raise RowRefused("destination: an international call needs its number")
    if len(destination) > DESTINATION_MAX:
        raise RowRefused(f"destination: longer than {DESTINATION_MAX} characters")
    return msisdn, at, kind, destination, _quantity(row.get("quantity"))


def _started_at(cell: str | None) -> datetime:
    """An instant in UTC; a time without its offset is Tunis time, as the mediation writes it.
    A day that does not exist (30 February), an offset of a day or more, or an instant beyond
    what a date can hold in UTC is refused like any bad cell."""
    try:
        at = parse_datetime((cell or "").strip())
        if at is not None:
            at = timezone.make_aware(at) if timezone.is_naive(at) else at
            at.astimezone(UTC)  # overflows for an instant a date cannot hold
            return at
    except (ValueError, OverflowError):
        pass
    raise RowRefused(f"started_at: {cell!r} is not a date and time")


def _quantity(cell: str | None) -> Decimal:
    """A positive finite quantity that fits the column, to the thousandth."""
    try:
        quantity = Decimal((cell or "").strip())
    except InvalidOperation as error:
        raise RowRefused(f"quantity: {cell!r} is not a number") from error
    if not quantity.is_finite():
        raise RowRefused(f"quantity: {cell!r} is not a number")
    if quantity >= QUANTITY_LIMIT:
        raise RowRefused(f"quantity: {cell!r} is too large")
    if quantity <= 0:
        raise RowRefused("quantity: must be positive")
    quantity = quantity.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
    if quantity == 0:
        raise RowRefused(f"quantity: {cell!r} rounds to zero")
    return quantity


def record_key(msisdn: str, at: datetime, kind: str, destination: str, quantity: Decimal) -> str:
    """The duplicate key, from the parsed values (never the text as spelled)."""
    instant = at.astimezone(UTC).isoformat()
    parts = [msisdn, instant, kind, destination.upper(), f"{quantity.quantize(THOUSANDTH)}"]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()
