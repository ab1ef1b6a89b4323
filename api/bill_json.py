"""A page of TMF CustomerBill as `api.bills.bill_tmf` and `api.http.json_bytes` write it: the
same attributes in the same order, no spaces, money with its three decimals, the tax rate as
Python writes a float, dates as `api.tmf` writes them (local time and its offset).

PostgreSQL writes each bill's values as text (`VALUES`, over `api.bill_pages`'s materialized `b`
whose `COLUMNS` are computed once per bill: the offsets from UTC of its dates, its number and
account reference as `to_json` escapes them, as Python's encoder does with `ensure_ascii=False`);
`bills_json` puts them in the JSON's fixed text. The page travels as its values, a fifth of its
JSON: on a page of 100 bills, carrying the JSON from the server cost more than writing it.
`%(zone)s` is the time zone's name."""

import functools
import operator
import string
from collections.abc import Callable

# From `i`, a local day at a time of day, as a timestamp.
_DAYS = {
    "issued": ("i.issued_on", "00:00:00"),
    "due": ("i.due_on", "00:00:00"),
    "start": ("i.period_start", "00:00:00"),
    "end": ("i.period_end", "23:59:59"),
}


def _escaped(sql: str) -> str:
    """The text inside the JSON string of the SQL text value (no quotes)."""
    return f"left(right(to_json({sql})::text, -1), -1)"


def _offset_from_utc(local: str, instant: str) -> str:
    return f"{local} - ({instant} AT TIME ZONE 'UTC')"


COLUMNS = ",\n        ".join(
    [
        *(
            _offset_from_utc(
                f"({day} + time '{clock}')", f"(({day} + time '{clock}') AT TIME ZONE %(zone)s)"
            )
            + f" AS {name}_offset"
            for name, (day, clock) in _DAYS.items()
        ),
        "i.created_at AT TIME ZONE %(zone)s AS created_local",
        _offset_from_utc("(i.created_at AT TIME ZONE %(zone)s)", "i.created_at")
        + " AS created_offset",
        f"{_escaped('i.number')} AS number",
        f"{_escaped('c.reference')} AS reference",
    ]
)


def _offset(name: str) -> str:
    """The offset as `datetime.isoformat` writes it: +01:00."""
    offset = f"b.{name}_offset"
    return (
        f"CASE WHEN {offset} < interval '0' THEN '-' || to_char(-{offset}, 'HH24:MI')"
        f" ELSE '+' || to_char({offset}, 'HH24:MI') END"
    )


def _day_at(name: str, day: str) -> str:
    """The local day at its time (`api.tmf._day_start`, `_day_end`)."""
    clock = _DAYS[name][1]
    return f"to_char(b.{day}, 'YYYY-MM-DD') || 'T{clock}' || {_offset(name)}"


def _float(sql: str) -> str:
    """The number as Python writes it as a float (`repr`): 0.19, 0.0."""
    whole = f"trunc({sql})::text || '.0'"
    return f"CASE WHEN {sql} = trunc({sql}) THEN {whole} ELSE {sql}::float8::text END"


def _money(sql: str) -> str:
    """TMF Money's value (`api.tmf.money`): rounded half up to the millime."""
    return f"round({sql}, 3)::text"


# Each bill's values, by name, as text: none NULL (they are joined with `SEPARATOR` by
# `concat_ws`, which would leave it out), from the invoice's NOT NULL columns.
_VALUES = {
    "id": "b.id::text",
    "number": "b.number",
    "category": """CASE WHEN b.credit_note THEN 'creditNote' WHEN b.is_final THEN 'last'
        ELSE 'normal' END""",
    "run": "CASE WHEN b.regular THEN 'onCycle' ELSE 'offCycle' END",
    "state": "b.state",
    "issued": _day_at("issued", "issued_on"),
    # `api.tmf.instant`: the instant in local time, with its microseconds when it has some.
    "created": (
        """to_char(b.created_local, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        " || CASE WHEN date_trunc('second', b.created_local) = b.created_local THEN ''"
        " ELSE to_char(b.created_local, '.US') END"
        f""" || {_offset("created")}"""
    ),
    "due": _day_at("due", "due_on"),
    "start": _day_at("start", "period_start"),
    "end": _day_at("end", "period_end"),
    "reference": "b.reference",
    "amount_due": _money("CASE WHEN b.credit_note THEN 0 ELSE b.total_incl_tax - b.advance END"),
    "remaining": _money(
        "CASE WHEN b.credit_note THEN 0 ELSE GREATEST(b.total_incl_tax - b.paid, 0) END"
    ),
    "excluded": _money("b.total_excl_tax"),
    "included": _money("b.total_incl_tax"),
    "rate": _float("b.vat_rate"),
    "vat": _money("b.vat_amount"),
    "stamp": _money("b.stamp_duty"),
    "has_xml": "CASE WHEN b.has_xml THEN 'yes' ELSE '' END",
    # Only on a regular bill of a monthly run (not a credit note).
    "cycle": "CASE WHEN b.regular AND NOT b.credit_note THEN to_char(b.period_start, 'YYYY-MM')"
    " ELSE '' END",
}
# Between a bill's values, and between bills: control characters, which no value holds (the
# text of the data is escaped by `to_json`, and the rest are dates and numbers).
SEPARATOR, BILL_SEPARATOR = "\x1f", "\x1e"
VALUES = f"concat_ws(E'\\x1f', {', '.join(_VALUES.values())})"

_MONEY = '{{{{"unit":"TND","value":{{{name}}}}}}}'
# After id, href and @type, which every item has, in `bill_tmf`'s order: each attribute's text
# (a `str.format` template of the values, `root` the API's URL escaped for a JSON string).
_ATTRIBUTES = {
    "billNo": '"{number}"',
    "category": '"{category}"',
    "runType": '"{run}"',
    "state": '"{state}"',
    "billDate": '"{issued}"',
    "lastUpdate": '"{created}"',
    "paymentDueDate": '"{due}"',
    "billingPeriod": '{{"startDateTime":"{start}","endDateTime":"{end}"}}',
    "billingAccount": (
        '{{"id":"{reference}","href":"{root}/customerBill?billingAccount.id={reference}",'
        '"@type":"BillingAccountRef","name":"{reference}","ratingType":"postpaid"}}'
    ),
    "amountDue": _MONEY.format(name="amount_due"),
    "remainingAmount": _MONEY.format(name="remaining"),
    "taxExcludedAmount": _MONEY.format(name="excluded"),
    "taxIncludedAmount": _MONEY.format(name="included"),
    "taxItem": (
        '[{{"@type":"TaxItem","taxCategory":"VAT","taxRate":{rate},"taxAmount":'
        + _MONEY.format(name="vat")
        + '}},{{"@type":"TaxItem","taxCategory":"stampDuty","taxAmount":'
        + _MONEY.format(name="stamp")
        + "}}]"
    ),
    "billDocument": "[{pdf}{teif}]",
}
# What `fields` may keep beyond id, href and @type, in the order they are written.
ATTRIBUTES = (*_ATTRIBUTES, "billCycle")

_DOCUMENT = (
    '{{{{"@type":"AttachmentRef","@referredType":"Attachment","id":"{{number}}{extension}",'
    '"href":"{{root}}/customerBill/{{id}}/{path}","url":"{{root}}/customerBill/{{id}}/{path}",'
    '"name":"{{number}}{extension}","description":"{description}"}}}}'
)
_HAS_XML, _CYCLE_AT = list(_VALUES).index("has_xml"), list(_VALUES).index("cycle")
_PDF = _DOCUMENT.format(extension=".pdf", path="document", description="PDF")
# The signed TEIF XML, once it exists, after the PDF.
_TEIF = "," + _DOCUMENT.format(extension=".xml", path="document.xml", description="TEIF XML")
_CYCLE = (
    ',"billCycle":{{"id":"{cycle}","href":"{root}/billCycle/{cycle}",'
    '"@type":"BillCycleRef","name":"{cycle}"}}'
)


@functools.lru_cache(maxsize=64)
def _template(
    attributes: tuple[str, ...], root: str, has_xml: bool, cycle: bool
) -> tuple[str, Callable[[list[str]], tuple[str, ...]]]:
    """A bill's JSON as a `%` template (faster than `str.format`'s) of its values, its fixed
    text (the API's URL `root` too) written in, and what takes its values from a bill's."""
    documents = _PDF + (_TEIF if has_xml else "")
    template = (
        '{{"id":"{id}","href":"{root}/customerBill/{id}","@type":"CustomerBill"'
        + "".join(
            f',"{name}":{_ATTRIBUTES[name]}' for name in attributes if name in _ATTRIBUTES
        ).replace("{pdf}{teif}", documents)
        + (_CYCLE if cycle and "billCycle" in attributes else "")
        + "}}"
    )
    parsed = list(string.Formatter().parse(template))
    positions = {name: position for position, name in enumerate(_VALUES)}
    names = [name for _, name, _, _ in parsed if name is not None]
    text = _with_root(parsed, root)
    values = operator.itemgetter(*(positions[name] for name in names if name != "root"))
    return text, values


def _with_root(parsed: list, root: str) -> str:
    """The `%` template of a parsed `str.format` one, the API's URL written for `{root}`."""
    return "".join(
        literal.replace("%", "%%")
        + ("" if name is None else root.replace("%", "%%") if name == "root" else "%s")
        for literal, name, _, _ in parsed
    )


def bills_json(values: str, attributes: tuple[str, ...], root: str) -> bytes:
    """The JSON array of the bills whose `VALUES` these are (joined by `BILL_SEPARATOR`), with
    these of `ATTRIBUTES`; `root` is the API's URL, escaped for a JSON string."""
    if not values:
        return b"[]"
    items = []
    for bill in values.split(BILL_SEPARATOR):
        value = bill.split(SEPARATOR)
        if len(value) != len(_VALUES):  # concat_ws leaves out a NULL: none may be
            raise ValueError(f"A bill's values are {len(_VALUES)}, not {len(value)}.")
        template, taken = _template(attributes, root, bool(value[_HAS_XML]), bool(value[_CYCLE_AT]))
        items.append(template % taken(value))
    return ("[" + ",".join(items) + "]").encode()
