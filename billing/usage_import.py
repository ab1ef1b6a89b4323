"""The usage file import, streamed (issue 16, point 3): a file of any size is stored first (the
admin's upload, the command's path), then read in chunks of USAGE_IMPORT_CHUNK_ROWS rows by a
Celery task (`billing.tasks.import_usage_file`) or the command, in bounded memory: never the
whole file, at most one chunk of rows and its records.

Each chunk is one transaction: its records (COPY into a temporary table, then INSERT ... ON
CONFLICT DO NOTHING on the key built from the parsed values, so the database tells the
duplicates of any earlier file or chunk) and the counters of the import, the refused rows with
their numbers (the first USAGE_IMPORT_ERRORS_LISTED listed, all counted), the bytes read for the
progress. An import stopped by a crash stays `importing` with what it committed, and its next run
reads on from the row after its last chunk: the beat's redelivery (billing/outbox.py) queues it
again once it made no progress for OUTBOX_STALE_SECONDS. Running it twice at once counts each
chunk once: the import is locked per chunk, and a run that finds it ahead of itself (another run
committed a chunk since) stops.
"""

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO, cast

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from billing.models import UsageImport, UsageRecord
from billing.usage import COLUMNS, RowRefused, UsagePrices, lines_of, parse_row, record_key
from lib.tasks import enqueue

NOT_UTF8 = "the file is not UTF-8 text: save it as “CSV UTF-8” and import it again"
_READ_BLOCK = 1024 * 1024
LINE_LIMIT = 1024 * 1024  # characters; a row of the mediation's file has about fifty
_TABLE = UsageRecord._meta.db_table
_COLUMNS = (
    "line_id, started_at, kind, destination, country, quantity, unit_price, record_key, "
    "usage_import_id"
)
# Our own names, no value: the rows go through COPY.
_CREATE_CHUNK = f"CREATE TEMPORARY TABLE usage_import_chunk ON COMMIT DROP AS SELECT {_COLUMNS} FROM {_TABLE} WITH NO DATA"  # noqa: E501, S608
_COPY_CHUNK = f"COPY usage_import_chunk ({_COLUMNS}) FROM STDIN"
_INSERT_NEW = (
    f"INSERT INTO {_TABLE} ({_COLUMNS}) SELECT {_COLUMNS} FROM usage_import_chunk "  # noqa: S608
    "ON CONFLICT (record_key) DO NOTHING"
)


class ImportOvertaken(Exception):
    """Another run of the same import committed this chunk first: this run stops."""


@dataclass(frozen=True)
class Row:
    number: int  # in the file, the header being row 1
    cells: dict[str, str] | None
    unreadable: str = ""


def usage_import_store(*, name: str, content: IO[bytes]) -> UsageImport:
    """The file kept in private storage (copied in blocks), its import not started yet."""
    report = UsageImport(name=name[:255])
    report.source.save(name, File(content, name=name), save=False)
    report.size = report.source.size
    report.save()
    return report


def usage_import_queue(*, name: str, content: IO[bytes]) -> UsageImport:
    """The admin's upload: stored, then imported by a worker once this transaction commits."""
    report = usage_import_store(name=name, content=content)
    enqueue("billing.tasks.import_usage_file", report.pk)
    return report


def usage_import_run(
    import_id: int, *, progress: Callable[[UsageImport], None] | None = None
) -> UsageImport:
    """Import (or go on importing) the stored file, chunk after chunk; safe to run again."""
    report = UsageImport.objects.get(pk=import_id)
    if report.status in (UsageImport.Status.DONE, UsageImport.Status.REFUSED):
        return report
    with report.source.open("rb") as stored:
        raw = getattr(stored, "file", stored)
        problem = _encoding_problem(raw)
        raw.seek(0)
        if problem:
            return _refuse_file(report, problem)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        # Lines read at most LINE_LIMIT characters at a time: a file without line breaks is
        # refused piece by piece, never held whole.
        reader = csv.reader(iter(lambda: text.readline(LINE_LIMIT), ""))
        header = [cell.strip() for cell in next(reader, [])]
        missing = set(COLUMNS) - set(header)
        if missing:
            return _refuse_file(report, f"missing columns: {', '.join(sorted(missing))}")
        rows = _rows(reader, header)
        for _ in islice(rows, report.rows_total):  # committed by an earlier run
            pass
        prices = UsagePrices()
        while chunk := list(islice(rows, settings.USAGE_IMPORT_CHUNK_ROWS)):
            try:
                report = _import_chunk(report, chunk, raw.tell(), prices)
            except ImportOvertaken:
                return UsageImport.objects.get(pk=import_id)
            if progress:
                progress(report)
    return _finish(report)


def _encoding_problem(raw: IO[bytes]) -> str:
    """One clear message for a file that is not UTF-8 (checked in blocks before any row goes
    in, so that such a file imports nothing rather than its first chunks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := raw.read(_READ_BLOCK):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return NOT_UTF8
    return ""


def _rows(reader, header: list[str]) -> Iterator[Row]:
    """Each record of the file with its number; a record the CSV reader cannot read is one
    refused row, and reading goes on with the next."""
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Row(number, None, f"not readable as CSV: {error}")
            continue
        yield Row(number, dict(zip(header, cells, strict=False)))


def _import_chunk(
    started: UsageImport, chunk: list[Row], position: int, prices: UsagePrices
) -> UsageImport:
    with transaction.atomic():
        report = UsageImport.objects.select_for_update().get(pk=started.pk)
        if report.rows_total != started.rows_total or report.status == UsageImport.Status.DONE:
            raise ImportOvertaken
        records, errors = _records(report, chunk, prices)
        inserted = _insert(records)
        listed = max(settings.USAGE_IMPORT_ERRORS_LISTED - len(report.errors), 0)
        report.errors = report.errors + errors[:listed]
        report.status = UsageImport.Status.IMPORTING
        report.rows_total += len(chunk)
        report.rows_imported += inserted
        report.rows_duplicate += len(records) - inserted
        report.rows_refused += len(errors)
        report.bytes_read = min(position, report.size)
        report.save()
    return report


def _records(
    report: UsageImport, chunk: list[Row], prices: UsagePrices
) -> tuple[list[tuple], list[dict]]:
    """The chunk's rows as rows of the usage table, and its refused rows with their numbers."""
    parsed, errors = [], []
    for row in chunk:
        try:
            if row.cells is None:
                raise RowRefused(row.unreadable)
            parsed.append((row.number, parse_row(row.cells)))
        except RowRefused as error:
            errors.append({"row": row.number, "error": str(error)})
    lines = lines_of({values[0] for _, values in parsed})
    records = []
    for number, (msisdn, at, kind, destination, quantity) in parsed:
        try:
            line, country, unit_price = prices.price(lines, msisdn, at, kind, destination)
        except RowRefused as error:
            errors.append({"row": number, "error": str(error)})
            continue
        key = record_key(msisdn, at, kind, destination, quantity)
        records.append(
            (line.pk, at, kind, destination, country, quantity, unit_price, key, report.pk)
        )
    errors.sort(key=lambda error: cast(int, error["row"]))  # each error names its row
    return records, errors


def _insert(records: list[tuple]) -> int:
    """The records that are not in the table yet, inserted; how many."""
    if not records:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_CHUNK)
        with cursor.copy(_COPY_CHUNK) as copy:
            for record in records:
                copy.write_row(record)
        cursor.execute(_INSERT_NEW)
        inserted = cursor.rowcount
        cursor.execute("DROP TABLE usage_import_chunk")
    return inserted


def _refuse_file(report: UsageImport, error: str) -> UsageImport:
    report.status = UsageImport.Status.REFUSED
    report.errors = [{"row": 1, "error": error}]
    report.rows_refused = 1
    report.finished_at = timezone.now()
    report.save()
    return report


def _finish(report: UsageImport) -> UsageImport:
    with transaction.atomic():
        report = UsageImport.objects.select_for_update().get(pk=report.pk)
        if report.status != UsageImport.Status.DONE:
            report.status = UsageImport.Status.DONE
            report.bytes_read = report.size
            report.finished_at = timezone.now()
            report.save()
    return report
