"""Electronic invoices through TTN's El Fatoora: the outbox of signed TEIF documents.

An invoice or credit note in scope (settings.EINVOICE_SCOPE) gets a `Submission` row in the
transaction that issues it; after commit a task of the documents queue builds its TEIF document
from the frozen invoice, checks it against TTN's schema, signs it (einvoicing/signing.py), stores
it once and sends it with the row's idempotency key. The invoice is issued, numbered and its PDF
made whatever TTN says: a refusal or an outage never touches billing. Once TTN accepts, its
reference and QR code are printed on a registered copy of the PDF.

Never twice: a sender claims the row with a lease (a conditional update) before calling TTN, so
two tasks at once send once; an answer is recorded only on a row still waiting for one; and a
sender that died after sending leaves the lease to expire, after which the sweep sends the same
document under the same key, which TTN registers once. Every status change writes a
`SubmissionChange` (who or which job, when, from, to, why).
"""

from __future__ import annotations

import base64
import io
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, cast

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from PIL import Image

from accounts.models import User
from billing.documents import invoice_pdf_document
from billing.models import Invoice
from einvoicing.backends import SEAL_PREFIX, Answer, Unavailable, backend
from einvoicing.models import Submission, SubmissionChange
from einvoicing.schema import teif_fast_errors
from einvoicing.signing import teif_sign
from einvoicing.teif import MATRICULE_FISCAL, identifier, teif_document
from lib.tasks import enqueue

if TYPE_CHECKING:
    from PIL._imaging import PixelAccess

logger = logging.getLogger(__name__)

Status = Submission.Status
# A sender holds a row this long; TTN's timeout is far shorter (EINVOICE_TIMEOUT_SECONDS).
LEASE = timedelta(minutes=5)
# Invoices a sending task takes at once: few statements for all of them, and enough tasks in a
# month's run for every process of the documents queue.
SEND_BATCH = 100
# Rows the sweep picks up: not claimed since, so that it never races the task queued at issue.
SWEEP_AFTER = timedelta(minutes=2)


class InvalidTeif(Exception):
    """The document does not satisfy TTN's schema; it is not sent."""


def in_scope(invoice: Invoice) -> bool:
    """Whether the invoice goes to TTN (settings.EINVOICE_SCOPE): "all", "none", or
    "companies", those whose customer is identified by a matricule fiscal. From the frozen
    identity, so a credit note follows the invoice it corrects."""
    scope = settings.EINVOICE_SCOPE
    if scope == "all":
        return True
    if scope == "companies":
        return identifier(invoice.customer_identity).type == MATRICULE_FISCAL
    return False


def submissions_record(invoices: list[Invoice]) -> list[Submission]:
    """Rows for the invoices in scope, in the caller's transaction (the one issuing them); their
    sending is queued after commit."""
    rows = [
        Submission(invoice=invoice, key=f"{invoice.number}-1")
        for invoice in invoices
        if in_scope(invoice)
    ]
    if not rows:
        return []
    created = Submission.objects.bulk_create(rows)
    SubmissionChange.objects.bulk_create(
        SubmissionChange(submission=row, to_status=Status.TO_SEND, job="invoice-issue")
        for row in created
    )
    ids = [row.pk for row in created]
    # In tasks of SEND_BATCH, which the documents queue's processes share (einvoicing/batches.py).
    # Robust: the invoices stand whatever happens to the queue; the sweep sends them anyway.
    for start in range(0, len(ids), SEND_BATCH):
        enqueue("einvoicing.tasks.send_einvoices", ids[start : start + SEND_BATCH], robust=True)
    return created


def _move(
    submission: Submission,
    *,
    from_statuses: tuple[str, ...],
    to: str,
    actor: User | None = None,
    job: str = "",
    reason: str = "",
    **fields,
) -> bool:
    """Move the row from one of `from_statuses` to `to` with `fields`, once, and record it."""
    with transaction.atomic():
        moved = Submission.objects.filter(pk=submission.pk, status__in=from_statuses).update(
            status=to, **fields
        )
        if moved:
            SubmissionChange.objects.create(
                submission=submission,
                from_status=submission.status,
                to_status=to,
                actor=actor,
                job=job,
                reason=reason,
            )
    return bool(moved)


def teif_signed(invoice: Invoice) -> bytes:
    """The invoice's TEIF document, checked against TTN's unsigned schema (the fast check,
    einvoicing/schema.py), then signed. The signature is not verified again here: signing is
    deterministic, the key is checked against the certificate when loaded, and the tests verify
    what it produces with signxml and check every signed document with TTN's XSD 1.1 schema."""
    document = teif_document(invoice, list(invoice.lines.all()))
    errors = teif_fast_errors(document)
    if errors:
        raise InvalidTeif("; ".join(errors[:5]))
    return teif_sign(document)


def submission_document(submission: Submission) -> bytes:
    """The submission's signed document: built, checked, signed and stored once (a signature
    carries its time, so a key's document is never signed twice); the stored one afterwards.
    `submission.invoice` is read with its contract and corrected invoice."""
    if not submission.xml:
        invoice = submission.invoice
        signed = teif_signed(invoice)
        storage = submission.xml.storage
        name = storage.save(
            f"einvoices/{invoice.issued_on:%Y}/{submission.key}.xml", ContentFile(signed)
        )
        if Submission.objects.filter(pk=submission.pk, xml="").update(xml=name):
            submission.xml.name = name
            return signed
        storage.delete(name)  # another sender stored its copy first: that one stays
        submission.refresh_from_db(fields=["xml"])
    with submission.xml.open("rb") as stored:
        return stored.read()


def _answer_record(submission: Submission, answer: Answer, *, job: str) -> str:
    now = timezone.now()
    waiting = (Status.TO_SEND, Status.SENT)
    if answer.status == "accepted":
        moved = _move(
            submission,
            from_statuses=waiting,
            to=Status.ACCEPTED,
            job=job,
            reason=f"TTN reference {answer.reference}",
            ttn_reference=answer.reference[:70],
            qr_text=answer.qr_text or answer.reference,
            answered_at=now,
            lease_until=None,
            last_error="",
        )
        if moved:
            enqueue("einvoicing.tasks.render_registered_copy", submission.pk, robust=True)
    elif answer.status == "refused":
        _move(
            submission,
            from_statuses=waiting,
            to=Status.REFUSED,
            job=job,
            reason=answer.reason,
            refusal_reason=answer.reason,
            answered_at=now,
            lease_until=None,
        )
    else:
        _move(
            submission,
            from_statuses=(Status.TO_SEND,),
            to=Status.SENT,
            job=job,
            reason="TTN has not answered yet",
            lease_until=None,
        )
    submission.refresh_from_db(fields=["status"])
    return submission.status


def submission_send(*, submission_id: int, job: str) -> str:
    """Send the submission if it waits to be sent and nobody holds it, or ask TTN for the answer
    to one sent; returns its status afterwards. Raises Unavailable for the task to retry; a
    document that cannot be signed or is invalid is left to send, its error recorded. Outside
    any transaction: no lock is held while TTN is called."""
    submission = Submission.objects.select_related("invoice__contract", "invoice__corrects").get(
        pk=submission_id
    )
    if submission.status == Status.SENT:
        return _answer_record(
            submission,
            backend().consult(key=submission.key, number=submission.invoice.number),
            job=job,
        )
    if submission.status != Status.TO_SEND:
        return submission.status
    now = timezone.now()
    claimed = (
        Submission.objects.filter(pk=submission_id, status=Status.TO_SEND)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            lease_until=now + LEASE,
            attempts=F("attempts") + 1,
            sent_at=Coalesce(F("sent_at"), Value(now)),
        )
    )
    if not claimed:
        return submission.status  # another sender holds it
    try:
        xml = submission_document(submission)
        answer = backend().send(key=submission.key, number=submission.invoice.number, xml=xml)
    except (Unavailable, InvalidTeif, ImproperlyConfigured, OSError) as error:
        Submission.objects.filter(pk=submission_id).update(
            lease_until=None, last_error=f"{type(error).__name__}: {error}"[:4000]
        )
        if isinstance(error, (Unavailable, OSError)):
            raise Unavailable(str(error)) from error
        logger.error("e-invoice %s not sent: %s", submission.key, error)
        return Status.TO_SEND
    return _answer_record(submission, answer, job=job)


def submission_retry(*, submission: Submission, actor: User, reason: str) -> bool:
    """Send a refused invoice again (after the cause is corrected, by a credit note or in the
    operator's set-up): a new round, so a new key and a newly signed document. False when the
    submission is not refused."""
    if not reason.strip():
        raise ValueError("Say why the invoice is sent again.")
    round_ = submission.round + 1
    moved = _move(
        submission,
        from_statuses=(Status.REFUSED,),
        to=Status.TO_SEND,
        actor=actor,
        reason=reason.strip(),
        round=round_,
        key=f"{submission.invoice.number}-{round_}",
        xml="",
        refusal_reason="",
        answered_at=None,
        sent_at=None,
        lease_until=None,
        last_error="",
    )
    if moved:
        enqueue("einvoicing.tasks.send_einvoice", submission.pk, robust=True)
    return moved


def submissions_due(*, now) -> list[int]:
    """Rows a sweep should take up: waiting to be sent and not held (their queued task was
    lost, a sender died, or their error was corrected), or sent and not yet answered."""
    waiting = Q(status=Status.TO_SEND, created_at__lt=now - SWEEP_AFTER) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    return list(
        Submission.objects.filter(waiting | Q(status=Status.SENT))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def qr_svg(text: str) -> str:
    """The QR code of `text` as an inline SVG for the PDF (no XML declaration); TTN's own seal
    (a PNG that einvoicing.elfatoora checked and gave as a data: URI) redrawn as it is."""
    if text.startswith(SEAL_PREFIX):
        return seal_svg(base64.b64decode(text.removeprefix(SEAL_PREFIX)))
    return segno.make(text, error="m").svg_inline(scale=3, border=2)


def _pixels(image: Image.Image) -> PixelAccess:
    return cast("PixelAccess", image.load())  # a decoded image always has its pixels


def seal_svg(png: bytes) -> str:
    """TTN's seal, a black and white PNG, as an inline SVG of its dark pixels (the documents'
    renderer fetches no data: URL): one rectangle a run of dark pixels in a row."""
    image = Image.open(io.BytesIO(png)).convert("1")
    width, height = image.size
    pixels = _pixels(image)
    runs = []
    for y in range(height):
        x = 0
        while x < width:
            if pixels[x, y]:
                x += 1
                continue
            start = x
            while x < width and not pixels[x, y]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="30mm" height="30mm" shape-rendering="crispEdges" class="ttn-seal">'
        f'<path d="{"".join(runs)}"/></svg>'
    )


def registered_copy_render(submission: Submission) -> Submission:
    """The invoice's PDF with TTN's reference and QR code, rendered and stored once after TTN
    accepted it; the PDF issued before stays as it is."""
    submission.refresh_from_db()
    if submission.pdf or submission.status != Status.ACCEPTED:
        return submission
    invoice = Invoice.objects.select_related("contract", "corrects").get(pk=submission.invoice_id)
    pdf = invoice_pdf_document(
        invoice, einvoice={"reference": submission.ttn_reference, "qr": qr_svg(submission.qr_text)}
    )
    storage = submission.pdf.storage
    name = storage.save(
        f"einvoices/{invoice.issued_on:%Y}/{invoice.number}-ttn.pdf", ContentFile(pdf)
    )
    if not Submission.objects.filter(pk=submission.pk, pdf="").update(pdf=name):
        storage.delete(name)
    submission.refresh_from_db(fields=["pdf"])
    return submission
