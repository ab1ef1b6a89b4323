"""Rating of usage: the destination of an international call by its number (R1.1), and the usage a
pass includes while it runs (R1.2).

`DestinationTable` reads the dated prefix table once and answers by longest prefix match in
memory. `usage_split` is the one rule for "is this record included in a pass" and
`usage_paid_from_balance` the one for "is usage beyond the allowances billed" (not on a capped
line, R10.7): used by the
invoice (billing/invoicing.py) and by the customer's consumption so far (passes/selectors.py), so
the page and the invoice never disagree and a record is either included or charged, never both.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from catalogue.models import DestinationPrefix, GridParameters, Offer, Option, PassAllowance
from catalogue.selectors import NotInForce
from lib.money import ZERO
from passes.models import PassPeriod


@dataclass(frozen=True)
class Destination:
    prefix: str
    country: str
    country_name: str
    zone: str


def number_digits(called: str) -> str | None:
    """The digits of an international number (+212…, 00212…), None when `called` is not a number
    (a zone code written by an older mediation file)."""
    text = called.strip().replace(" ", "").replace("-", "").replace(".", "")
    if text.startswith("+"):
        text = text[1:]
    elif text.startswith("00"):
        text = text[2:]
    return text if text.isdigit() and text else None


class DestinationTable:
    """R1.1: the international prefixes, all dated tables read once (a few hundred rows)."""

    def __init__(self) -> None:
        self._tables: list[tuple[date, dict[str, Destination]]] = []
        for row in DestinationPrefix.objects.order_by("-effective_from", "prefix"):
            if not self._tables or self._tables[-1][0] != row.effective_from:
                self._tables.append((row.effective_from, {}))
            self._tables[-1][1][row.prefix] = Destination(
                row.prefix, row.country, row.country_name, row.zone
            )

    def destination(self, called: str, *, on: date) -> Destination:
        """The destination of a called number on a day: the longest prefix of the table in force
        that day (NotInForce when none matches or no table is in force)."""
        digits = number_digits(called)
        if digits is None:
            raise NotInForce(f"{called!r} is not an international number.")
        table = next((rows for since, rows in self._tables if since <= on), None)
        if table is None:
            raise NotInForce(f"No international prefix table in force on {on}.")
        for length in range(min(len(digits), 12), 0, -1):
            if (found := table.get(digits[:length])) is not None:
                return found
        raise NotInForce(f"No international prefix matches +{digits} on {on}.")


@dataclass
class PassWindow:
    """A period of a pass held by a line: [starts_at, ends_at[ with the allowances in force on its
    first day, and what is left of each limited allowance as records are rated in time order."""

    option: Option
    starts_at: datetime
    ends_at: datetime
    allowances: Sequence[PassAllowance]
    left: dict[int, Decimal] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.option.label  # in the language active where it is read

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def take(self, kind: str, country: str, quantity: Decimal) -> Decimal:
        """How much of `quantity` the pass includes (the rest is rated normally)."""
        for allowance in self.allowances:
            if allowance.kind != kind or (allowance.country and allowance.country != country):
                continue
            limit = allowance.limit
            if limit is None:
                return quantity
            left = self.left.setdefault(allowance.pk, Decimal(limit))
            included = min(left, quantity)
            self.left[allowance.pk] = left - included
            return included
        return ZERO


def allowances_in_force(rows: Iterable[PassAllowance], *, on: date) -> list[PassAllowance]:
    """R1.3 for a pass's allowances: the rows sharing the latest date on or before `on`."""
    dated = [row for row in rows if row.effective_from <= on]
    if not dated:
        return []
    latest = max(row.effective_from for row in dated)
    return [row for row in dated if row.effective_from == latest]


def usage_paid_from_balance(offer: Offer) -> bool:
    """R1.1, R10.7 (decision): a capped postpaid line's invoice is capped at its offer's monthly
    fee in the grid ("Facture Plafonnée 15" bills 15.000 excl. tax a month, with its
    allowances): its usage beyond the allowances is never billed, it is paid from the line's
    top-up balance as it happens, as a prepaid line's is. The invoice and the consumption so far
    both ask this, so they never disagree."""
    return offer.kind == Offer.Kind.CAPPED


def fees_paid_from_balance(offer: Offer, parameters: GridParameters) -> bool:
    """R10.7 (decision): when the grid says so, a capped postpaid line's ordinary options pay
    their monthly fees from its top-up balance, in advance, as its passes do; the capped
    invoice shows them paid and never bills them (R1.1). Asked by the invoice and by the job
    that debits them (passes/option_fees.py)."""
    return offer.kind == Offer.Kind.CAPPED and parameters.capped_balance_pays_options


@dataclass(frozen=True)
class Rated:
    kind: str
    quantity: Decimal
    unit_price: Decimal
    country: str
    included: Decimal
    window: PassWindow | None

    @property
    def charged(self) -> Decimal:
        return self.quantity - self.included


def usage_split(
    records: Iterable[tuple[str, Decimal, Decimal, datetime, str]], windows: list[PassWindow]
) -> list[Rated]:
    """R1.2: each record (kind, quantity, unit price, start, country), in time order, split into
    what a pass running at its start includes and what is charged. A record is taken by one pass
    at most; usage outside the passes' periods or destinations is charged in full."""
    rated = []
    for kind, quantity, unit_price, at, country in records:
        included, window = ZERO, None
        for candidate in windows:
            if candidate.covers(at) and (share := candidate.take(kind, country, quantity)):
                included, window = share, candidate
                break
        rated.append(Rated(kind, quantity, unit_price, country, included, window))
    return rated


def pass_windows(line_ids, start: datetime, end: datetime) -> dict[int, list[PassWindow]]:
    """R1.2: per line, the periods of its passes running during [start, end[, in time order,
    each with the allowances in force on its first day."""
    periods = list(
        PassPeriod.objects.filter(
            holding__line_option__line_id__in_ids=line_ids, starts_at__lt=end, ends_at__gt=start
        )
        .select_related("holding__line_option__option")
        .order_by("starts_at", "pk")
    )
    if not periods:  # most invoices: no allowances to read (an empty query still costs its SQL)
        return {}
    options = {period.holding.line_option.option_id for period in periods}
    allowances: dict[int, list[PassAllowance]] = defaultdict(list)
    for row in PassAllowance.objects.filter(option_id__in=options):
        allowances[row.option_id].append(row)
    windows: dict[int, list[PassWindow]] = defaultdict(list)
    for period in periods:
        option = period.holding.line_option.option
        windows[period.holding.line_option.line_id].append(
            PassWindow(
                option=option,
                starts_at=period.starts_at,
                ends_at=period.ends_at,
                allowances=allowances_in_force(
                    allowances[option.pk], on=timezone.localdate(period.starts_at)
                ),
            )
        )
    return windows


def usage_marked(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """R1.2: the invoice's usage detail (records read as values, in time order per line, with
    their `line_id`, `kind`, `quantity`, `unit_price`, `started_at`, `country` and
    `destination`) with each record a pass includes shown at 0.000 and the pass's name after its
    destination, in the active language; the records are not saved."""
    if not records:
        return records
    start = min(record["started_at"] for record in records)
    end = max(record["started_at"] for record in records) + timedelta(seconds=1)
    windows = pass_windows({record["line_id"] for record in records}, start, end)
    by_line: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_line[record["line_id"]].append(record)
    for line_id, members in by_line.items():
        if not windows.get(line_id):
            continue
        rows = [
            (r["kind"], r["quantity"], r["unit_price"], r["started_at"], r["country"])
            for r in members
        ]
        for record, rated in zip(members, usage_split(rows, windows[line_id]), strict=True):
            if rated.window is not None and not rated.charged:
                record["unit_price"] = ZERO
                record["destination"] = f"{record['destination']} ({rated.window.name})".strip()
    return records
