"""Import of the Banka and Light payments reported by the payment providers (R2.3), a CSV
documented in docs/top-up-csv.md.

Each row is recorded through `top_ups.top_up_record`: a reference already recorded for its
channel adds nothing, so a file imported twice, or two files that overlap, credit each payment
once. A bad row is reported with its line number and the good rows still go in.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from billing.money import tnd
from subscriptions.identifiers import normalize_msisdn
from subscriptions.models import Line, TopUp
from subscriptions.top_ups import TopUpRefused, top_up_record

COLUMNS = ["channel", "msisdn", "amount", "reference"]
CHANNELS = {TopUp.Channel.BANKA.value, TopUp.Channel.LIGHT.value}


@dataclass
class TopUpImportReport:
    recorded: int = 0
    already_recorded: int = 0
    errors: list[dict] = field(default_factory=list)


class RowRefused(ValueError):
    pass


def _row_values(row: dict) -> tuple[str, Line, Decimal, str]:
    channel = (row.get("channel") or "").strip().lower()
    if channel not in CHANNELS:
        raise RowRefused(f"channel must be one of {sorted(CHANNELS)}")
    try:
        msisdn = normalize_msisdn(row.get("msisdn") or "")
        amount = tnd(row.get("amount") or "")
    except (ValidationError, ValueError, InvalidOperation) as error:
        raise RowRefused(f"bad number or amount: {error}") from error
    reference = (row.get("reference") or "").strip()
    if not reference:
        raise RowRefused("the reference is missing")
    line = (
        Line.objects.filter(number__msisdn=msisdn)
        .exclude(status=Line.Status.TERMINATED)
        .select_related("offer")
        .first()
    )
    if line is None:
        raise RowRefused(f"no line in service with the number {msisdn}")
    return channel, line, amount, reference


def top_ups_import(*, name: str, content: bytes) -> TopUpImportReport:
    """R2.3: record every payment of the file once; the job named in each top-up is the file."""
    report = TopUpImportReport()
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    if reader.fieldnames is None or set(COLUMNS) - set(reader.fieldnames):
        report.errors.append({"row": 1, "error": f"the columns must be {', '.join(COLUMNS)}"})
        return report
    for number, row in enumerate(reader, start=2):
        try:
            channel, line, amount, reference = _row_values(row)
            recorded = top_up_record(
                line=line,
                channel=channel,
                amount=amount,
                reference=reference,
                job=f"top-up import {name}"[:80],
            )
        except (RowRefused, TopUpRefused) as error:
            report.errors.append({"row": number, "error": str(error)})
            continue
        if recorded is None:
            report.already_recorded += 1
        else:
            report.recorded += 1
    return report
