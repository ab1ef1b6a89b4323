"""Import of the mediation's usage records (CSV, documented in docs/usage-csv.md).

A bad row is reported with its line number and the good rows still go in; a row already
imported (same line, time, kind, destination and quantity) is not imported again.
"""

import contextlib
import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing.models import UsageImport, UsageRecord
from catalogue.selectors import NotInForce, international_rate, offer_terms
from lib.identifiers import normalize_msisdn
from subscriptions.models import Line

COLUMNS = ["msisdn", "started_at", "kind", "destination", "quantity"]
KINDS = {choice.value for choice in UsageRecord.Kind}
BATCH = 2000  # rows per insert: a few MB of objects, one round trip


class RowRefused(ValueError):
    pass


@dataclass
class _Prices:
    """Grid lookups cached for the file: one query per offer and day, not per row."""

    cache: dict = field(default_factory=dict)

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
    destination = (row.get("destination") or "").strip()
    if kind == "international" and not destination:
        raise RowRefused("destination: an international call needs its zone")
    try:
        quantity = Decimal((row.get("quantity") or "").strip())
    except InvalidOperation as error:
        raise RowRefused(f"quantity: {row.get('quantity')!r} is not a number") from error
    if quantity <= 0:
        raise RowRefused("quantity: must be positive")
    return msisdn, at, kind, destination, quantity


def usage_import(*, name: str, content: bytes) -> UsageImport:
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    missing = set(COLUMNS) - set(reader.fieldnames or [])
    report = UsageImport.objects.create(name=name)
    if missing:
        report.errors = [{"row": 1, "error": f"missing columns: {', '.join(sorted(missing))}"}]
        report.save(update_fields=["errors"])
        return report
    rows = list(reader)
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
            unit_price = prices.unit_price(line, kind, destination, timezone.localdate(at))
        except RowRefused as error:
            errors.append({"row": number, "error": str(error)})
            continue
        key = "|".join([msisdn, at.isoformat(), kind, destination, str(quantity)])
        records.append(
            UsageRecord(
                line=line,
                started_at=at,
                kind=kind,
                destination=destination,
                quantity=quantity,
                unit_price=unit_price,
                usage_import=report,
                record_key=hashlib.sha256(key.encode()).hexdigest(),
            )
        )
    with transaction.atomic():
        before = UsageRecord.objects.filter(usage_import=report).count()
        for start in range(0, len(records), BATCH):
            UsageRecord.objects.bulk_create(records[start : start + BATCH], ignore_conflicts=True)
        imported = UsageRecord.objects.filter(usage_import=report).count() - before
        report.rows_total = len(rows)
        report.rows_imported = imported
        report.rows_duplicate = len(records) - imported
        report.errors = errors
        report.save()
    return report
