"""The outbox in batches: what the documents queue does with the invoices of one issuing run.

`submissions_record` queues the rows of a run in tasks of SEND_BATCH, which the documents queue's
processes share. A task sends its batch as `submission_send` sends one row, with the same
guarantees (a row is claimed with a lease before TTN is called, an answer is recorded only on a
row still waiting for it, every change is written), but its database work is done a few
statements for the whole batch rather than seven per invoice: the claim, the reading of the
invoices and their lines, the stored documents' names, and TTN's answers. What is left per
invoice is building, checking and signing its document, storing it, and TTN's call.

A document that cannot be built or signed stays to send, its error recorded, as with one row; if
TTN cannot be reached the rows not yet sent are released and returned to be retried one by one
(einvoicing.tasks.send_einvoice) with their keys.
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Prefetch, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.models import InvoiceLine
from einvoicing.backends import Answer, Unavailable, backend
from einvoicing.models import Submission, SubmissionChange
from einvoicing.services import LEASE, InvalidTeif, teif_signed
from lib.tasks import enqueue

logger = logging.getLogger(__name__)

Status = Submission.Status
WAITING = (Status.TO_SEND, Status.SENT)


@dataclass
class Sent:
    """What a batch did: the rows whose answer was recorded, and those to send again later."""

    answered: dict[int, str] = field(default_factory=dict)
    unavailable: list[int] = field(default_factory=list)


def _claim(submission_ids: list[int], now) -> list[Submission]:
    """The rows of `submission_ids` waiting to be sent and held by nobody, now held by this
    sender, with their invoices, contracts, corrected invoices and lines."""
    with transaction.atomic():
        claimed = list(
            Submission.objects.select_for_update(skip_locked=True)
            .filter(pk__in=submission_ids, status=Status.TO_SEND)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .values_list("pk", flat=True)
        )
        Submission.objects.filter(pk__in=claimed).update(
            lease_until=now + LEASE,
            attempts=F("attempts") + 1,
            sent_at=Coalesce(F("sent_at"), Value(now)),
        )
    return list(
        Submission.objects.filter(pk__in=claimed)
        .select_related("invoice__contract", "invoice__corrects")
        .prefetch_related(Prefetch("invoice__lines", queryset=InvoiceLine.objects.all()))
        .order_by("pk")
    )


def _set_each(
    values: dict[int, tuple[str, ...]], columns: tuple[str, ...], *, if_empty: bool = False
) -> int:
    """Set text `columns` of each row `values` names, in one statement (an UPDATE from a VALUES
    list: Django's Case/When costs milliseconds a row to build); `if_empty`: only where the
    first column is still empty."""
    if not values:
        return 0
    row = "(CAST(%s AS bigint)" + ", CAST(%s AS text)" * len(columns) + ")"
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    sets = ", ".join(f"{name} = v.{name}" for name in names.split(", "))
    table = connection.ops.quote_name(Submission._meta.db_table)
    where = f"AND {table}.{names.split(', ')[0]} = ''" if if_empty else ""
    params: list[int | str] = []
    for pk, texts in values.items():
        params.extend([pk, *texts])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row] * len(values))}) "  # noqa: S608
            f"AS v(id, {names}) WHERE {table}.id = v.id {where}",
            params,
        )
        return cursor.rowcount


def _documents(rows: list[Submission]) -> tuple[dict[int, bytes], dict[int, str]]:
    """Each row's signed document, made and stored once (the stored one for a row whose sender
    died after storing it); and the errors of the rows whose document could not be made."""
    documents, errors, names = {}, {}, {}
    for row in rows:
        if row.xml:
            with row.xml.open("rb") as stored:
                documents[row.pk] = stored.read()
            continue
        invoice = row.invoice
        try:
            signed = teif_signed(invoice)
            names[row.pk] = row.xml.storage.save(
                f"einvoices/{invoice.issued_on:%Y}/{row.key}.xml", ContentFile(signed)
            )
        except (InvalidTeif, ImproperlyConfigured, OSError) as error:
            errors[row.pk] = f"{type(error).__name__}: {error}"[:4000]
            logger.error("e-invoice %s not sent: %s", row.key, error)
            continue
        documents[row.pk] = signed
    _set_each({pk: (name,) for pk, name in names.items()}, ("xml",), if_empty=True)
    return documents, errors


def _release(errors: dict[int, str]) -> None:
    by_error: dict[str, list[int]] = {}
    for pk, error in errors.items():
        by_error.setdefault(error, []).append(pk)
    for error, pks in by_error.items():
        Submission.objects.filter(pk__in=pks).update(lease_until=None, last_error=error)


def _answers_record(answers: dict[int, Answer], *, job: str, now) -> dict[int, str]:
    """TTN's answers on the rows still waiting for one, with their changes, in one
    transaction; each row's status afterwards."""
    with transaction.atomic():
        waiting = dict(
            Submission.objects.select_for_update()
            .filter(pk__in=answers, status__in=WAITING)
            .values_list("pk", "status")
        )
        accepted = {pk: a for pk, a in answers.items() if pk in waiting and a.status == "accepted"}
        refused = {pk: a for pk, a in answers.items() if pk in waiting and a.status == "refused"}
        pending = [
            pk
            for pk, a in answers.items()
            if a.status == "pending" and waiting.get(pk) == Status.TO_SEND
        ]
        changes = []
        if accepted:
            Submission.objects.filter(pk__in=accepted).update(
                status=Status.ACCEPTED, answered_at=now, lease_until=None, last_error=""
            )
            _set_each(
                {pk: (a.reference[:70], a.qr_text or a.reference) for pk, a in accepted.items()},
                ("ttn_reference", "qr_text"),
            )
            changes += [
                (pk, Status.ACCEPTED, f"TTN reference {a.reference}") for pk, a in accepted.items()
            ]
        if refused:
            Submission.objects.filter(pk__in=refused).update(
                status=Status.REFUSED, answered_at=now, lease_until=None
            )
            _set_each({pk: (a.reason,) for pk, a in refused.items()}, ("refusal_reason",))
            changes += [(pk, Status.REFUSED, a.reason) for pk, a in refused.items()]
        if pending:
            Submission.objects.filter(pk__in=pending).update(status=Status.SENT, lease_until=None)
            changes += [(pk, Status.SENT, "TTN has not answered yet") for pk in pending]
        SubmissionChange.objects.bulk_create(
            SubmissionChange(
                submission_id=pk, from_status=waiting[pk], to_status=to, job=job, reason=reason
            )
            for pk, to, reason in changes
        )
        if accepted:
            enqueue("einvoicing.tasks.render_registered_copies", list(accepted), robust=True)
    statuses = dict(waiting)
    statuses.update({pk: to for pk, to, _reason in changes})
    return statuses


def submissions_send(*, submission_ids: list[int], job: str) -> Sent:
    """Send the rows of `submission_ids` that wait to be sent and that nobody holds (see the
    module's docstring). Outside any transaction: no lock is held while TTN is called."""
    now = timezone.now()
    rows = _claim(submission_ids, now)
    documents, errors = _documents(rows)
    answers, sent = {}, Sent()
    client = backend()
    for position, row in enumerate(rows):
        if row.pk not in documents:
            continue
        try:
            answers[row.pk] = client.send(
                key=row.key, number=row.invoice.number, xml=documents[row.pk]
            )
        except (Unavailable, OSError) as error:
            sent.unavailable = [later.pk for later in rows[position:] if later.pk in documents]
            message = f"{type(error).__name__}: {error}"[:4000]
            errors.update(dict.fromkeys(sent.unavailable, message))
            break
    _release(errors)
    if answers:
        sent.answered = _answers_record(answers, job=job, now=now)
    return sent
