"""A page of TMF678 customerBill in one prepared statement (PostgreSQL): the bills a key may read,
filtered, their total, their number on the page and each bill's values as text, from which
`api.bill_json` writes the page byte for byte as `api.bills.bill_tmf` and `json_bytes` do.

The same bills and states as `api.bills.bills_annotated` (the ORM's, which the other views and
the events read); written once as SQL so that a page costs no query building, no row converted
to Python objects and no JSON encoded from them. Only fixed fragments make the SQL text (the
filters asked): every value the caller gives is a parameter."""

import functools
import threading
import time
from collections import OrderedDict
from datetime import date
from typing import NamedTuple

from django.db import connection

from api.bill_changes import KEEPABLE, STILL_HOLDS
from api.bill_json import ATTRIBUTES, COLUMNS, VALUES, bills_json
from api.http import json_bytes
from api.keys import KEY_USED_COLUMNS, KEY_USED_CTES, key_found
from api.models import ApiKey
from billing.models import Invoice
from lib.prepared import prepared_cursor

# `bills_annotated`'s `state`, from the invoice (i) and its live payments (paid).
_STATE = """CASE WHEN {t}.kind = %(credit_note)s THEN 'settled'
    WHEN {paid} >= {t}.total_incl_tax THEN 'settled'
    WHEN {paid} > 0 THEN 'partiallyPaid'
    WHEN {t}.emailed_at IS NOT NULL THEN 'sent'
    ELSE 'validated' END"""
# R11.2: what the live payments allocated to the invoice (the page's `m` has it, with of it
# the advance payments).
_PAID = """COALESCE((SELECT SUM(a.amount) FROM billing_paymentallocation a
    JOIN billing_payment p ON p.id = a.payment_id
    WHERE a.invoice_id = i.id AND p.reversed_at IS NULL), 0.000)"""

_FILTERS = {
    "boutique": "cu.boutique_id = %(boutique)s",
    "account": "c.reference = %(account)s",
    "day": "i.issued_on = %(day)s",
    "since": "i.issued_on >= %(since)s",
    "until": "i.issued_on <= %(until)s",
    "state": _STATE.format(t="i", paid=_PAID) + " = %(state)s",
}

# The matching bills, the page's with what their JSON is written from (computed once each:
# the CTE is materialized), then each bill's values as text (api.bill_json).
_PAGE = """WITH {key}matched AS (
    SELECT i.id, i.issued_on FROM billing_invoice i
    JOIN subscriptions_contract c ON c.id = i.contract_id
    JOIN subscriptions_customer cu ON cu.id = c.customer_id{allowed}
    WHERE {where}{unless_kept}
), page AS (
    SELECT id FROM matched ORDER BY issued_on DESC, id DESC OFFSET %(offset)s LIMIT %(limit)s
), b AS MATERIALIZED (
    SELECT i.id, i.kind = %(credit_note)s AS credit_note, i.is_final, i.issued_on, i.due_on,
        i.period_start, i.period_end, i.total_excl_tax, i.total_incl_tax, i.vat_rate,
        i.vat_amount, i.stamp_duty, m.paid, m.advance, {state} AS state,
        EXISTS (SELECT 1 FROM billing_billingrun r WHERE r.period_start = i.period_start)
            AND NOT i.is_final AS regular,
        EXISTS (SELECT 1 FROM einvoicing_submission s WHERE s.invoice_id = i.id AND s.xml <> '')
            AS has_xml,
        {columns}
    FROM page JOIN billing_invoice i ON i.id = page.id
    JOIN subscriptions_contract c ON c.id = i.contract_id
    CROSS JOIN LATERAL (
        SELECT COALESCE(SUM(a.amount), 0.000) AS paid,
            COALESCE(SUM(a.amount) FILTER (WHERE p.is_advance), 0.000) AS advance
        FROM billing_paymentallocation a JOIN billing_payment p ON p.id = a.payment_id
        WHERE a.invoice_id = i.id AND p.reversed_at IS NULL
    ) m
)
{select}"""
_COUNTS_AND_VALUES = f"""SELECT (SELECT count(*) FROM matched) AS total, count(*) AS listed,
    COALESCE(string_agg({VALUES}, E'\\x1e' ORDER BY b.issued_on DESC, b.id DESC), '')
        AS bills
FROM b"""  # noqa: S608  (fixed text)
# With the key's check (api.keys) before: the page of the bills it may read (its boutique's
# customers' when it has one), when it has the scope and its rate allows, unless the page the
# process kept for that key still holds (api.bill_changes); its row, then the page.
_KEY = f"""{KEY_USED_CTES}, allowed AS (
    SELECT key.boutique_id FROM key
    WHERE key.scopes @> jsonb_build_array(%(scope)s::text)
        AND (SELECT used FROM rate) <= key.rate_per_minute
), kept AS (
    SELECT k.boutique_id IS NOT DISTINCT FROM %(kept_boutique)s::bigint AND {STILL_HOLDS}
        AS holds
    FROM allowed k
), """  # noqa: S608  (fixed text: every value is a parameter)
# The kept page holds: nothing is read for a new one (a one-time filter, run once).
_UNLESS_KEPT = " AND NOT COALESCE((SELECT holds FROM kept), false)"
# After the page: whether the kept page holds, this statement's snapshot, and whether the page
# may be kept.
_KEEPING = f"""(SELECT holds FROM kept) AS holds, pg_current_snapshot()::text AS snapshot,
    EXISTS (SELECT 1 FROM allowed) AND {KEEPABLE} AS keepable"""  # noqa: S608
_ALLOWED = """
    JOIN allowed k ON k.boutique_id IS NULL OR cu.boutique_id = k.boutique_id"""


class BillFilters(NamedTuple):
    """What the caller asked (None: not asked), the key's boutique included."""

    boutique: int | None = None
    account: str | None = None
    state: str | None = None
    day: date | None = None
    since: date | None = None
    until: date | None = None


class BillsPage(NamedTuple):
    """The bills that match, those on the page, and the page as a JSON array."""

    total: int
    listed: int
    body: bytes


@functools.lru_cache(maxsize=128)
def _sql(asked: tuple[str, ...], keyed: bool = False) -> str:
    where = " AND ".join(_FILTERS[name] for name in asked) or "TRUE"
    select = _COUNTS_AND_VALUES
    return _PAGE.format(
        key=_KEY if keyed else "",
        allowed=_ALLOWED if keyed else "",
        where=where,
        unless_kept=_UNLESS_KEPT if keyed else "",
        state=_STATE.format(t="i", paid="m.paid"),
        columns=COLUMNS,
        select=f"SELECT {KEY_USED_COLUMNS}, p.*, {_KEEPING} FROM key CROSS JOIN ({select}) p"  # noqa: S608
        if keyed
        else select,
    )


def _params(
    filters: BillFilters, offset: int, limit: int, fields: set[str] | None, root: str, zone: str
) -> tuple[tuple[str, ...], tuple[str, ...], dict]:
    """The filters asked, the attributes kept, and the statement's parameters."""
    asked = tuple(name for name, value in filters._asdict().items() if value is not None)
    attributes = tuple(name for name in ATTRIBUTES if not fields or name in fields)
    params = {
        **filters._asdict(),
        "credit_note": Invoice.Kind.CREDIT_NOTE.value,
        "offset": offset,
        "limit": limit,
        # Inside the JSON strings of the hrefs, escaped as json_bytes escapes it.
        "root": json_bytes(root).decode()[1:-1],
        "zone": zone,
    }
    return asked, attributes, params


def bills_page(
    filters: BillFilters,
    offset: int,
    limit: int,
    *,
    fields: set[str] | None,
    root: str,
    zone: str,
) -> BillsPage:
    """The page of bills, newest first, as `bill_tmf` and `json_bytes` write them: `fields`
    selected, hrefs under `root` (the API's URL: the server's and `BILLS_BASE`), dates in the
    time zone named `zone`; one query."""
    asked, attributes, params = _params(filters, offset, limit, fields, root, zone)
    # Planned once per connection (lib.prepared): the plan costs more than the page.
    with prepared_cursor() as cursor:
        cursor.execute(_sql(asked), params)
        total, listed, bills = cursor.fetchone()
    return BillsPage(total, listed, bills_json(bills, attributes, params["root"]))


class _Kept(NamedTuple):
    """A page written for a key, with what tells whether it still holds."""

    snapshot: str  # of the statement that wrote it (api.bill_changes)
    boutique: int | None  # the key's, then
    at: float  # time.monotonic()
    page: BillsPage


# Pages kept by this process, per key and request (api.bill_changes): a system that reads the
# same pages again, as the operator's systems poll, gets them without their being written
# again while no bill they read changed. At most an hour, the newest PAGES_KEPT within
# PAGE_BYTES_KEPT (a page of 1,000 bills is about a megabyte).
PAGES_KEPT, PAGE_BYTES_KEPT, PAGE_KEPT_SECONDS = 64, 16 * 2**20, 3600
_kept: OrderedDict[tuple, _Kept] = OrderedDict()
_kept_lock = threading.Lock()


def _page_kept(name: tuple) -> _Kept | None:
    with _kept_lock:
        kept = _kept.get(name)
        if kept is None or time.monotonic() - kept.at > PAGE_KEPT_SECONDS:
            return None
        _kept.move_to_end(name)
        return kept


def _page_keep(name: tuple, kept: _Kept) -> None:
    with _kept_lock:
        _kept[name] = kept
        _kept.move_to_end(name)
        size = sum(len(each.page.body) for each in _kept.values())
        while len(_kept) > PAGES_KEPT or (size > PAGE_BYTES_KEPT and len(_kept) > 1):
            _name, dropped = _kept.popitem(last=False)
            size -= len(dropped.page.body)


def bills_page_of_key(
    key: dict,
    scope: str,
    filters: BillFilters,
    offset: int,
    limit: int,
    *,
    fields: set[str] | None,
    root: str,
    zone: str,
) -> tuple[ApiKey | None, BillsPage]:
    """`bills_page` and the key's check (`key`: `api.keys.key_params`) in one statement: the
    key (None: no live key; its request counted, api.keys.key_found), and the page of the bills
    it may read, its boutique's customers' when it has one; an empty page unless it has `scope`
    and its rate allows this request, which the caller checks (api.access). The page this
    process kept for the same key and request is given again while it holds
    (api.bill_changes)."""
    asked, attributes, params = _params(filters, offset, limit, fields, root, zone)
    database = connection.settings_dict
    name = (
        database["HOST"],
        database["PORT"],
        database["NAME"],
        key["prefix"],
        scope,
        tuple(filters),
        offset,
        limit,
        attributes,
        root,
        zone,
    )
    kept = _page_kept(name)
    params |= {
        "snapshot": kept.snapshot if kept else None,
        "kept_boutique": kept.boutique if kept else None,
    }
    with prepared_cursor() as cursor:
        cursor.execute(_sql(asked, keyed=True), {**params, **key, "scope": scope})
        row = cursor.fetchone()
    if row is None:
        return None, BillsPage(0, 0, b"[]")
    total, listed, bills, holds, snapshot, keepable = row[-6:]
    found = key_found(row, key)
    if holds and kept is not None:
        return found, kept.page
    page = BillsPage(total, listed, bills_json(bills, attributes, params["root"]))
    if keepable and found is not None:
        _page_keep(name, _Kept(snapshot, found.boutique_id, time.monotonic(), page))
    return found, page
