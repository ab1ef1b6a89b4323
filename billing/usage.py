"""Import of the mediation's usage records (CSV, documented in docs/usage-csv.md).

A bad row is reported with its line number and the good rows still go in; a row already
imported (same line, time, kind, destination and quantity) is not imported again. Issue 16:
no cell aborts the import (NaN, Infinity, overflowing or vanishing quantities, over-long
destinations, times in the future are refused per row), a file that is not UTF-8 gets one clear
message, and the duplicate key is built from the parsed values, so the same call spelled
differently (`60`, `60.0`, `6E+1`; `09:00:00Z`, `10:00+01:00`) is one record. The import's
report is written with its records in one transaction: a crash leaves none.
"""

import contextlib
import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing.models import UsageImport, UsageRecord
from billing.rating import DestinationTable, number_digits
from catalogue.selectors import NotInForce, international_rate, offer_terms
from lib.identifiers import normalize_msisdn
from subscriptions.models import Line

COLUMNS = ["msisdn", "started_at", "kind", "destination", "quantity"]
KINDS = {choice.value for choice in UsageRecord.Kind}
BATCH = 2000  # rows per insert: a few MB of objects, one round trip
THOUSANDTH = Decimal("0.001")
_QUANTITY = UsageRecord._meta.get_field("quantity")
QUANTITY_LIMIT = Decimal(10) ** (_QUANTITY.max_digits - _QUANTITY.decimal_places)
DESTINATION_MAX = UsageRecord._meta.get_field("destination").max_length


class RowRefused(ValueError):
    pass


@dataclass
class _Prices:
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


def _line_on(lines: dict[str, list[Line]], msisdn: str, at: datetime) -> Line:
    """The line that held the number at that time (a number may have served an earlier line)."""
    for line in lines.get(msisdn, []):
        if line.activated_at and line.activated_at <= at:
            return line
    raise RowRefused(f"no line held {msisdn} at {at:%Y-%m-%d %H:%M}")


def _parse(row: dict) -> tuple[str, datetime, str, str, Decimal]:
    try:
        msisdn = normalize_msisdn(row.get("msisdn", ""))
    except ValidationError as error:
        raise RowRefused(
            f"msisdn: {row.get('msisdn')!r} is not a Tunisian mobile number"
        ) from error
    at = parse_datetime((row.get("started_at") or "").strip())
    if at is None:
        raise RowRefused(f"started_at: {row.get('started_at')!r} is not a date and time")
    if timezone.is_naive(at):
        at = timezone.make_aware(at)  # the mediation writes Tunis time
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


def _refused_file(name: str, error: str) -> UsageImport:
    return UsageImport.objects.create(name=name, errors=[{"row": 1, "error": error}])


def usage_import(*, name: str, content: bytes) -> UsageImport:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused_file(
            name, "the file is not UTF-8 text: save it as “CSV UTF-8” and import it again"
        )
    reader = csv.DictReader(io.StringIO(text))
    missing = set(COLUMNS) - set(reader.fieldnames or [])
    if missing:
        return _refused_file(name, f"missing columns: {', '.join(sorted(missing))}")
    try:
        rows = list(reader)
    except csv.Error as error:
        return _refused_file(name, f"not a CSV file: {error}")
    report = UsageImport(name=name)
    numbers = set()
    for row in rows:
        with contextlib.suppress(ValidationError):  # reported with its row number below
            numbers.add(normalize_msisdn(row.get("msisdn", "")))
    lines: dict[str, list[Line]] = {}
    for line in (
        Line.objects.filter(number__msisdn__in=numbers)
        .select_related("offer", "number")
        .order_by("-activated_at")
    ):
        lines.setdefault(line.number.msisdn, []).append(line)
    prices, records, errors = _Prices(), [], []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            msisdn, at, kind, destination, quantity = _parse(row)
            line = _line_on(lines, msisdn, at)
            country, zone = "", destination
            if kind == "international":
                country, zone = prices.country_and_zone(destination, timezone.localdate(at))
            unit_price = prices.unit_price(line, kind, zone, timezone.localdate(at))
        except RowRefused as error:
            errors.append({"row": number, "error": str(error)})
            continue
        records.append(
            UsageRecord(
                line=line,
                started_at=at,
                kind=kind,
                destination=destination,
                country=country,
                quantity=quantity,
                unit_price=unit_price,
                usage_import=report,
                record_key=record_key(msisdn, at, kind, destination, quantity),
            )
        )
    with transaction.atomic():  # the report and its records together, or nothing
        report.save()
        for start in range(0, len(records), BATCH):
            UsageRecord.objects.bulk_create(records[start : start + BATCH], ignore_conflicts=True)
        imported = UsageRecord.objects.filter(usage_import=report).count()
        report.rows_total = len(rows)
        report.rows_imported = imported
        report.rows_duplicate = len(records) - imported
        report.errors = errors
        report.save()
    return report
