"""The invoice's usage detail and totals as lines of text that line up like a table.

WeasyPrint lays out a table cell by cell, and a table costs it more than its cells: forty usage
records in a six-column table took three quarters of an invoice's rendering time, the four totals
in rows of the lines' table a third of what was left. Here the fields are runs of text of a fixed
width: Noto Sans draws the ten digits, "+" and the figure space (U+2007) with one advance, so
numbers padded with figure spaces line up without a table.

Totals: each amount is padded to the width of the widest (`amounts_aligned`), and the template
sets "label amount" lines aligned on the end side, so the amounts form a column.

Usage: the records are grouped by line and kind, and three records share a text line (the page
reads as three columns). The only field of variable width, the zone of an international
call, comes last, one record per line. WeasyPrint shapes and draws these lines glyph by glyph, and
they hold most of an invoice's glyphs: the gaps between fields and records are each one wide space
(an en space, three em spaces) rather than runs of spaces, and a destination that is a phone
number needs no isolates (below).

The fields of a record are numbers, always written left to right. In a right-to-left invoice the
template sets these lines left to right and aligned on the right, and the fields and records come
here in the opposite order: the date is on the right and the first records in the right column,
where an Arabic reader starts.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypedDict, cast

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from billing.models import UsageRecord
from lib.bidi import bidi_neutral, isolate

FIGURE_SPACE = "\u2007"
FIELD_GAP = "\u2002"  # an en space: the width of two spaces, one glyph
RECORD_GAP = "\u2003" * 3  # em spaces: about five figure spaces, three glyphs
# A destination of ASCII digits and "+" (padded with figure spaces) has no character of either
# direction: in these left-to-right lines it keeps its place as it is, without the isolates that
# any other destination gets (issue 16, point 6), whose invisible characters cost glyphs too.
PHONE_NUMBER = re.compile(r"[+0-9\u2007]*")
RECORDS_PER_ROW = 3
# Lines of text per block: WeasyPrint lays out each line of a block against the rest of the
# block's text, so a block's cost grows with the square of its length; short blocks keep it flat.
ROWS_PER_BLOCK = 10


class UsageRow(TypedDict):
    """A usage record as read for the invoice (values(), no model objects: billing/documents.py)."""

    msisdn: str
    kind: str
    started_at: datetime
    destination: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class UsageGroup:
    """One line's records of one kind: a heading, the legend of the fields, and text blocks."""

    msisdn: str
    kind: str
    legend: str
    blocks: list[str]


def amounts_aligned(texts: list[str]) -> list[str]:
    """Formatted amounts ("5,396 TND", "1 234,567 TND") padded at the start to one width: each
    character the widest has in front of a shorter one is repeated, a digit as a figure space,
    a thousands separator as itself, so every amount takes the widest's width."""
    widest = max(texts, key=len, default="")
    return [
        "".join(FIGURE_SPACE if c.isdigit() else c for c in widest[: len(widest) - len(text)])
        + text
        for text in texts
    ]


def _legends() -> dict[str, str]:
    return {
        UsageRecord.Kind.VOICE: _("date, number called, minutes, unit price excl. tax"),
        UsageRecord.Kind.SMS: _("date, number, messages, unit price excl. tax"),
        UsageRecord.Kind.DATA: _("date, megabytes, unit price excl. tax"),
        UsageRecord.Kind.INTERNATIONAL: _("date, minutes, unit price excl. tax, zone"),
    }


def _decimal(value: Decimal, places: int) -> str:
    return number_format(value, decimal_pos=places, use_l10n=True)


def _places(values: Iterable[Decimal]) -> int:
    """The decimals the largest-precision value needs (0 for whole numbers, at most 3)."""
    # Amounts are finite: their exponent is an int (only NaN and infinities have a letter).
    exponents = (cast(int, value.normalize().as_tuple().exponent) for value in values)
    return max((max(0, -exponent) for exponent in exponents), default=0)


def _fields(record: UsageRow, quantity: str, price: str, destination: str) -> list[str]:
    # Day and time: the invoice's period gives the year.
    started = timezone.localtime(record["started_at"]).strftime("%d/%m %H:%M")
    if record["kind"] == UsageRecord.Kind.DATA:
        return [started, quantity, price]
    if record["kind"] == UsageRecord.Kind.INTERNATIONAL:
        return [started, quantity, price, _isolated(record["destination"])]
    return [started, _isolated(destination), quantity, price]


def _isolated(destination: str) -> str:
    """The destination, isolated unless it is a phone number (see PHONE_NUMBER)."""
    return destination if PHONE_NUMBER.fullmatch(destination) else isolate(destination)


def _rows(records: list[UsageRow], *, rtl: bool) -> list[str]:
    places = _places(record["quantity"] for record in records)
    quantities = [_decimal(record["quantity"], places) for record in records]
    prices = [_decimal(record["unit_price"], 3) for record in records]
    # Issue 16, point 6: a destination comes from the mediation's file: isolated, no override.
    destinations = [bidi_neutral(record["destination"]) for record in records]
    width = {
        "quantity": max(map(len, quantities)),
        "price": max(map(len, prices)),
        "destination": max(map(len, destinations)),
    }
    texts = []
    for record, quantity, price, destination in zip(
        records, quantities, prices, destinations, strict=True
    ):
        fields = _fields(
            record,
            quantity.rjust(width["quantity"], FIGURE_SPACE),
            price.rjust(width["price"], FIGURE_SPACE),
            destination.ljust(width["destination"], FIGURE_SPACE),
        )
        texts.append(FIELD_GAP.join(reversed(fields) if rtl else fields))
    per_row = 1 if records[0]["kind"] == UsageRecord.Kind.INTERNATIONAL else RECORDS_PER_ROW
    # Column by column: the first half of the records on the left (on the right in Arabic).
    height = -(-len(texts) // per_row)
    rows = []
    for index in range(height):
        row = texts[index::height]
        rows.append(RECORD_GAP.join(reversed(row) if rtl else row))
    return rows


def usage_groups(records: Iterable[UsageRow], *, rtl: bool) -> list[UsageGroup]:
    """The records (ordered by number then time) grouped by number and kind, as text blocks."""
    legends = _legends()
    grouped: dict[tuple[str, str], list[UsageRow]] = {}
    for record in records:
        grouped.setdefault((record["msisdn"], record["kind"]), []).append(record)
    groups = []
    for (msisdn, kind), members in grouped.items():
        rows = _rows(members, rtl=rtl)
        blocks = [
            "\n".join(rows[start : start + ROWS_PER_BLOCK])
            for start in range(0, len(rows), ROWS_PER_BLOCK)
        ]
        groups.append(
            UsageGroup(
                msisdn=msisdn,
                kind=str(UsageRecord.Kind(kind).label),
                legend=legends[kind],
                blocks=blocks,
            )
        )
    return groups
