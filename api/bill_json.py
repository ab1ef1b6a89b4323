"""A TMF CustomerBill written by PostgreSQL as `api.bills.bill_tmf` and `api.http.json_bytes`
write it: the same attributes in the same order, no spaces, money with its three decimals, the
tax rate as Python writes a float, dates as `api.tmf` writes them (local time and its offset).

`COLUMNS` are computed once per bill of the page (`api.bill_pages`'s materialized `b`, with the
invoice `i` and its contract `c`): the offsets from UTC of its dates, its number and account
reference as `to_json` escapes them (as Python's encoder does with `ensure_ascii=False`); each
attribute then is an SQL expression over `b` giving its JSON text, cheap concatenations.
`%(root)s` is the API's URL, escaped already; `%(zone)s` the time zone's name."""

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


def _concat(*parts: str) -> str:
    """The text parts joined (each part text, or a value `||` writes as text)."""
    return "(" + " || ".join(parts) + ")"


def _offset(name: str) -> str:
    """The offset as `datetime.isoformat` writes it: +01:00."""
    offset = f"b.{name}_offset"
    return (
        f"CASE WHEN {offset} < interval '0' THEN '-' || to_char(-{offset}, 'HH24:MI')"
        f" ELSE '+' || to_char({offset}, 'HH24:MI') END"
    )


def _day_at(name: str, day: str) -> list[str]:
    """A JSON date-time: the local day at its time (`api.tmf._day_start`, `_day_end`)."""
    clock = _DAYS[name][1]
    return ["""'"'""", f"to_char(b.{day}, 'YYYY-MM-DD')", f"'T{clock}'", _offset(name), """'"'"""]


# `api.tmf.instant`: the instant in local time, with its microseconds when it has some.
_CREATED = [
    """'"'""",
    """to_char(b.created_local, 'YYYY-MM-DD"T"HH24:MI:SS')""",
    "CASE WHEN date_trunc('second', b.created_local) = b.created_local THEN ''"
    " ELSE to_char(b.created_local, '.US') END",
    _offset("created"),
    """'"'""",
]


def _money(sql: str) -> list[str]:
    """TMF Money (`api.tmf.money`): TND, the value rounded half up to the millime."""
    return ["""'{"unit":"TND","value":'""", f"round({sql}, 3)::text", "'}'"]


def _float(sql: str) -> str:
    """The number as Python writes it as a float (`repr`): 0.19, 0.0."""
    whole = f"trunc({sql})::text || '.0'"
    return f"CASE WHEN {sql} = trunc({sql}) THEN {whole} ELSE {sql}::float8::text END"


def _document(path: str, extension: str, description: str) -> list[str]:
    """`api.bills._document`: the bill's file at `path` under its href."""
    url = ["%(root)s::text", "'/customerBill/'", "b.id::text", f"""'{path}"'"""]
    name = ["b.number", f"""'{extension}"'"""]
    return [
        """'{"@type":"AttachmentRef","@referredType":"Attachment","id":"'""",
        *name,
        """',"href":"'""",
        *url,
        """',"url":"'""",
        *url,
        """',"name":"'""",
        *name,
        f"""',"description":"{description}"}}'""",
    ]


_CYCLE = "to_char(b.period_start, 'YYYY-MM')"
# The signed TEIF XML, once it exists, after the PDF.
_TEIF = _concat("','", *_document("/document.xml", ".xml", "TEIF XML"))

# After id, href and @type, which every item has, in `bill_tmf`'s order: the JSON text of each.
_VALUES: dict[str, list[str]] = {
    "billNo": ["""'"'""", "b.number", """'"'"""],
    "category": [
        """CASE WHEN b.credit_note THEN '"creditNote"' WHEN b.is_final THEN '"last"'
        ELSE '"normal"' END"""
    ],
    "runType": ["""CASE WHEN b.regular THEN '"onCycle"' ELSE '"offCycle"' END"""],
    "state": ["""'"'""", "b.state", """'"'"""],
    "billDate": _day_at("issued", "issued_on"),
    "lastUpdate": _CREATED,
    "paymentDueDate": _day_at("due", "due_on"),
    "billingPeriod": [
        """'{"startDateTime":'""",
        *_day_at("start", "period_start"),
        """',"endDateTime":'""",
        *_day_at("end", "period_end"),
        "'}'",
    ],
    "billingAccount": [
        """'{"id":"'""",
        "b.reference",
        """'","href":"'""",
        "%(root)s::text",
        "'/customerBill?billingAccount.id='",
        "b.reference",
        """'","@type":"BillingAccountRef","name":"'""",
        "b.reference",
        """'","ratingType":"postpaid"}'""",
    ],
    "amountDue": _money("CASE WHEN b.credit_note THEN 0 ELSE b.total_incl_tax - b.advance END"),
    "remainingAmount": _money(
        "CASE WHEN b.credit_note THEN 0 ELSE GREATEST(b.total_incl_tax - b.paid, 0) END"
    ),
    "taxExcludedAmount": _money("b.total_excl_tax"),
    "taxIncludedAmount": _money("b.total_incl_tax"),
    "taxItem": [
        """'[{"@type":"TaxItem","taxCategory":"VAT","taxRate":'""",
        _float("b.vat_rate"),
        """',"taxAmount":'""",
        *_money("b.vat_amount"),
        """'},{"@type":"TaxItem","taxCategory":"stampDuty","taxAmount":'""",
        *_money("b.stamp_duty"),
        "'}]'",
    ],
    "billDocument": [
        "'['",
        *_document("/document", ".pdf", "PDF"),
        f"CASE WHEN b.has_xml THEN {_TEIF} ELSE '' END",
        "']'",
    ],
}
# Only on a regular bill of a monthly run (not a credit note): written with its key.
_BILL_CYCLE = _concat(
    """',"billCycle":{"id":"'""",
    _CYCLE,
    """'","href":"'""",
    "%(root)s::text",
    "'/billCycle/'",
    _CYCLE,
    """'","@type":"BillCycleRef","name":"'""",
    _CYCLE,
    """'"}'""",
)

# What `fields` may keep beyond id, href and @type, in the order they are written.
ATTRIBUTES = (*_VALUES, "billCycle")


def bill_json(attributes: tuple[str, ...]) -> str:
    """The SQL expression of a bill's JSON text with these of `ATTRIBUTES`, in their order."""
    parts = [
        """'{"id":"'""",
        "b.id::text",
        """'","href":"'""",
        "%(root)s::text",
        "'/customerBill/'",
        "b.id::text",
        """'","@type":"CustomerBill"'""",
    ]
    for name in attributes:
        if name in _VALUES:
            parts += [f"""',"{name}":'""", *_VALUES[name]]
    if "billCycle" in attributes:
        parts.append(f"CASE WHEN b.regular AND NOT b.credit_note THEN {_BILL_CYCLE} ELSE '' END")
    return _concat(*parts, "'}'")
