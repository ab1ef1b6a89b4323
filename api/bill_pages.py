"""A page of TMF678 customerBill in one prepared statement (PostgreSQL): the bills a key may read,
filtered, their total and the page's rows with their payments, runs and e-invoices, as tuples.

The same bills and states as `api.bills.bills_annotated` (the ORM's, which the other views and
the events read); written once as SQL so that a page costs no query building, and its total
comes with it rather than in a second round trip. Only fixed fragments make the SQL text: every
value the caller gives is a parameter."""

from datetime import date
from typing import Any, NamedTuple

from billing.models import Invoice
from lib.prepared import prepared_cursor

# `bills_annotated`'s `state`, from the invoice (i) and its live payments (paid).
_STATE = """CASE WHEN {t}.kind = %(credit_note)s THEN 'settled'
    WHEN {paid} >= {t}.total_incl_tax THEN 'settled'
    WHEN {paid} > 0 THEN 'partiallyPaid'
    WHEN {t}.emailed_at IS NOT NULL THEN 'sent'
    ELSE 'validated' END"""
# R11.2: what the live payments allocated to the invoice, and of them the advance payments.
_PAID = """COALESCE((SELECT SUM(a.amount) FROM billing_paymentallocation a
    JOIN billing_payment p ON p.id = a.payment_id
    WHERE a.invoice_id = i.id AND p.reversed_at IS NULL{advance}), 0.000)"""
PAID = _PAID.format(advance="")
ADVANCE = _PAID.format(advance=" AND p.is_advance")

_FILTERS = {
    "boutique": "cu.boutique_id = %(boutique)s",
    "account": "c.reference = %(account)s",
    "day": "i.issued_on = %(day)s",
    "since": "i.issued_on >= %(since)s",
    "until": "i.issued_on <= %(until)s",
    "state": _STATE.format(t="i", paid=PAID) + " = %(state)s",
}

# The page's columns, in the order of `BILL_VALUES` (api.bills), after the total.
_PAGE = """WITH matched AS (
    SELECT i.id, i.issued_on FROM billing_invoice i
    JOIN subscriptions_contract c ON c.id = i.contract_id
    JOIN subscriptions_customer cu ON cu.id = c.customer_id
    WHERE {where}
), page AS (
    SELECT id FROM matched ORDER BY issued_on DESC, id DESC OFFSET %(offset)s LIMIT %(limit)s
), bills AS (
    SELECT i.id, i.kind, i.is_final, i.number, i.issued_on, i.due_on, i.created_at,
        i.period_start, i.period_end, i.total_excl_tax, i.total_incl_tax, i.vat_rate,
        i.vat_amount, i.stamp_duty, c.reference, i.emailed_at,
        {paid} AS paid, {advance} AS advance,
        EXISTS (SELECT 1 FROM billing_billingrun r WHERE r.period_start = i.period_start)
            AS in_run,
        EXISTS (SELECT 1 FROM einvoicing_submission s WHERE s.invoice_id = i.id AND s.xml <> '')
            AS has_xml
    FROM page JOIN billing_invoice i ON i.id = page.id
    JOIN subscriptions_contract c ON c.id = i.contract_id
)
SELECT (SELECT count(*) FROM matched), b.id, b.kind, b.is_final, b.number, b.issued_on,
    b.due_on, b.created_at, b.period_start, b.period_end, b.total_excl_tax, b.total_incl_tax,
    b.vat_rate, b.vat_amount, b.stamp_duty, b.reference, b.paid, b.advance, b.in_run,
    b.has_xml, {state}
FROM (SELECT 1) one LEFT JOIN bills b ON TRUE
ORDER BY b.issued_on DESC, b.id DESC"""


class BillFilters(NamedTuple):
    """What the caller asked (None: not asked), the key's boutique included."""

    boutique: int | None = None
    account: str | None = None
    state: str | None = None
    day: date | None = None
    since: date | None = None
    until: date | None = None


def _sql(asked: tuple[str, ...]) -> str:
    where = " AND ".join(_FILTERS[name] for name in asked) or "TRUE"
    state = _STATE.format(t="b", paid="b.paid")
    return _PAGE.format(where=where, paid=PAID, advance=ADVANCE, state=state)


_SQL: dict[tuple[str, ...], str] = {}


def bills_page(filters: BillFilters, offset: int, limit: int) -> tuple[int, list[tuple[Any, ...]]]:
    """The number of bills that match and the page of them, newest first: rows of `BILL_VALUES`
    (api.bills), one query."""
    asked = tuple(name for name, value in filters._asdict().items() if value is not None)
    sql = _SQL.get(asked) or _SQL.setdefault(asked, _sql(asked))
    params = {
        **filters._asdict(),
        "credit_note": Invoice.Kind.CREDIT_NOTE.value,
        "offset": offset,
        "limit": limit,
    }
    # Planned once per connection (lib.prepared): the plan costs more than the page.
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    total = rows[0][0]
    return total, [row[1:] for row in rows if row[1] is not None]
