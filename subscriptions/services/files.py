"""Use cases of a subscription file: online form, boutique checks, acceptance, refusal, sale.

Rules: R3.1 (pieces and connection fee), R3.2 (24 h), R4.1/R4.2 (activation, commitment),
R6.2 (written refusal within 15 days), R12.1 (deposit), R13.1/R17.1 (boutique sale: 3 days).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import cast

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Boutique, User
from billing.deposits import deposit_hold
from catalogue.models import Fee, Offer, Option, RequiredDocument
from catalogue.selectors import fee_amount, grid_parameters
from lib.tasks import enqueue
from lib.uploads import CleanDocument, stored_name
from subscriptions.lifecycle.files import file_record, file_transition
from subscriptions.models import (
    Contract,
    Customer,
    FilePiece,
    Line,
    LineOption,
    MobileNumber,
    SimCard,
    SubscriptionFile,
)
from subscriptions.selectors.files import numbers_to_give, sims_to_give
from subscriptions.services.records import commitment_end, line_activate

S = SubscriptionFile.Status

IDENTITY_FIELDS = (
    "last_name",
    "first_name",
    "birth_date",
    "cin",
    "passport_number",
    "company_name",
    "trade_register_number",
    "tax_id",
)

ADDRESS_FIELDS = ("street", "postal_code", "city")


class FileRefused(Exception):
    """The action does not fit the file as it is (a message for the person who asked)."""


@dataclass(frozen=True)
class Charges:
    """What the customer pays to open the line (shown before confirmation)."""

    connection_fee: Decimal
    deposit: Decimal


def file_charges(*, offer: Offer | None, on=None) -> Charges:
    """R3.1, R12.1: the connection fee and the deposit the grid asks for this offer."""
    day = on or timezone.localdate()
    return Charges(
        connection_fee=fee_amount(Fee.Kind.CONNECTION, on=day, offer=offer),
        deposit=fee_amount(Fee.Kind.DEPOSIT, on=day, offer=offer),
    )


def required_documents(customer_kind: str):
    return RequiredDocument.objects.filter(customer_kind=customer_kind)


def file_draft_for(*, applicant: User) -> SubscriptionFile:
    """The applicant's file being filled in, created on first use (one draft per account)."""
    file, _created = SubscriptionFile.objects.get_or_create(applicant=applicant, status=S.DRAFT)
    return file


def file_save_step(*, file: SubscriptionFile, step: str, values: dict) -> SubscriptionFile:
    """Keep a step's values, so that the form comes back as it was left."""
    file.draft = {**file.draft, step: values}
    file.save(update_fields=["draft"])
    return file


def file_takes_pieces(file: SubscriptionFile) -> bool:
    """Whether the customer may still send pieces: not once the file is refused or accepted,
    nor once a boutique sale's file is complete."""
    if file.status in (S.REFUSED, S.ACCEPTED):
        return False
    return not (file.status == S.ACTIVE and file.completed_at is not None)


def piece_attach(
    *, file: SubscriptionFile, document: RequiredDocument, upload: CleanDocument, actor: User
) -> FilePiece:
    """Store a checked upload as a piece of the file (replacing an earlier upload of it)."""
    if not file_takes_pieces(file):
        raise FileRefused(_("This file is closed."))
    name = default_storage.save(stored_name(upload), ContentFile(upload.content))
    try:
        piece = _piece_replace(file=file, document=document, upload=upload, name=name, actor=actor)
    except BaseException:
        default_storage.delete(name)  # nothing points to it
        raise
    return piece


def _piece_replace(
    *,
    file: SubscriptionFile,
    document: RequiredDocument,
    upload: CleanDocument,
    name: str,
    actor: User,
) -> FilePiece:
    with transaction.atomic():
        FilePiece.objects.get_or_create(file=file, required_document=document)
        # Locked: of two uploads of one piece at once, the second reads the first's file, and
        # deletes it once it has replaced it; no stored file is left that no piece points to.
        piece = FilePiece.objects.select_for_update().get(file=file, required_document=document)
        old_name = piece.document.name if piece.document else ""
        piece.document.name = name
        piece.original_name = upload.original_name
        piece.content_type = upload.content_type
        piece.sha256 = upload.sha256
        piece.status = FilePiece.Status.UPLOADED
        piece.uploaded_at = timezone.now()
        piece.reviewed_at = piece.reviewed_by = None
        piece.rejection_reason = ""
        piece.save()
        if old_name:
            transaction.on_commit(lambda: default_storage.delete(old_name))
        if file.status != S.DRAFT:
            file_record(file=file, actor=actor, piece=piece, reason=f"Sent: {document.name}")
    return piece


def _customer_from_draft(file: SubscriptionFile) -> tuple[Customer, list[str]]:
    """The applicant's customer record: theirs if they have one (an account is one customer),
    else a new one from the form; with the fields of theirs the form replaced."""
    identity, address = file.draft.get("identity", {}), file.draft.get("address", {})
    values = {k: identity.get(k) or "" for k in IDENTITY_FIELDS if k != "birth_date"}
    values.update({k: address.get(k, "") for k in ADDRESS_FIELDS})
    born = identity.get("birth_date")
    values["birth_date"] = date.fromisoformat(born) if born else None
    # Locked: the account's second file, sent twice at once, finds the record the first made.
    customer = Customer.objects.select_for_update().filter(user=file.applicant).first()
    if customer is None:
        created = Customer.objects.create(
            kind=file.customer_kind,
            user=file.applicant,
            boutique=cast(Boutique, file.boutique),  # chosen at the offer step, before sending
            email=file.applicant.email,
            **values,
        )
        return created, []
    if customer.contracts.exists():  # a customer with a contract changes by rectification
        return customer, []
    # Details that never opened a line (their file was refused, R6.2) give way to the new
    # file's; the earlier ones stay in the refused file's form values.
    changed = [field for field, value in values.items() if getattr(customer, field) != value]
    for field in changed:
        setattr(customer, field, values[field])
    if changed:
        customer.save(update_fields=changed)
    return customer, changed


def file_submit(*, file: SubscriptionFile, actor: User) -> SubscriptionFile:
    """R3.1: the customer confirms; the file is received and the 15-day answer clock runs."""
    if file.status != S.DRAFT:
        raise FileRefused(_("This file was already sent."))
    charges = file_charges(offer=file.offer)
    with transaction.atomic():
        replaced: list[str] = []
        if file.customer_id is None:
            file.customer, replaced = _customer_from_draft(file)
        file.connection_fee, file.deposit = charges.connection_fee, charges.deposit
        file.save(update_fields=["customer", "connection_fee", "deposit"])
        for document in required_documents(file.customer_kind):
            FilePiece.objects.get_or_create(file=file, required_document=document)
        file_transition(file=file, to=S.RECEIVED, actor=actor, reason=gettext_noop("Sent online"))
        if replaced:
            file_record(
                file=file,
                actor=actor,
                reason=f"Customer details taken from this file: {', '.join(replaced)}"[:500],
            )
    return file


def file_evaluate(*, file: SubscriptionFile, actor: User | None, job: str = "") -> None:
    """R3.1, R3.2: every piece received and the connection fee paid make the file complete."""
    pieces = list(file.pieces.select_related("required_document"))  # read once, used thrice
    missing = [p for p in pieces if p.status != FilePiece.Status.RECEIVED]
    complete = not missing and file.connection_fee_paid_at is not None
    if file.status == S.ACTIVE:  # a boutique sale: the line is open, the file catches up
        if complete and file.completed_at is None:
            SubscriptionFile.objects.filter(pk=file.pk).update(completed_at=timezone.now())
            file_record(
                file=file,
                actor=actor,
                job=job,
                reason=gettext_noop("File complete (boutique sale)"),
            )
        return
    checked = [p for p in pieces if p.status != FilePiece.Status.UPLOADED]
    if complete and file.status in (S.RECEIVED, S.INCOMPLETE):
        file_transition(
            file=file,
            to=S.COMPLETE,
            actor=actor,
            job=job,
            reason=gettext_noop("All pieces received"),
        )
    elif not complete and file.status == S.COMPLETE:
        file_transition(
            file=file,
            to=S.INCOMPLETE,
            actor=actor,
            job=job,
            reason=gettext_noop("A piece is missing"),
        )
    elif not complete and file.status == S.RECEIVED and checked:
        names = [p.required_document.name for p in missing]
        if file.connection_fee_paid_at is None:
            names.append("connection fee")
        file_transition(
            file=file,
            to=S.INCOMPLETE,
            actor=actor,
            job=job,
            reason=f"Missing: {', '.join(names)}"[:500],
        )


def piece_review(*, piece: FilePiece, status: str, actor: User, reason: str = "") -> FilePiece:
    """An agent marks a piece received, missing or rejected (a reason is required to reject)."""
    if status == FilePiece.Status.REJECTED and not reason.strip():
        raise FileRefused(_("Say why the piece is rejected."))
    with transaction.atomic():
        piece.status = status
        piece.rejection_reason = reason.strip() if status != FilePiece.Status.RECEIVED else ""
        piece.reviewed_at, piece.reviewed_by = timezone.now(), actor
        piece.save()
        file = SubscriptionFile.objects.select_for_update().get(pk=piece.file_id)
        label = f"{piece.required_document.name}: {piece.get_status_display()}"
        file_record(file=file, actor=actor, piece=piece, reason=f"{label} {reason}".strip()[:500])
        file_evaluate(file=file, actor=actor)
    return piece


def file_record_connection_fee(*, file: SubscriptionFile, actor: User) -> SubscriptionFile:
    """R3.1: the agent records that the connection fee was paid."""
    with transaction.atomic():
        claimed = SubscriptionFile.objects.filter(
            pk=file.pk, connection_fee_paid_at__isnull=True
        ).update(connection_fee_paid_at=timezone.now())
        if claimed:
            file.refresh_from_db()
            file_record(
                file=file, actor=actor, reason=f"Connection fee paid: {file.connection_fee}"
            )
            file_evaluate(file=file, actor=actor)
    return file


def _free_number() -> MobileNumber:
    # SKIP LOCKED: two agents accepting at once each get a different number, nobody waits.
    number = numbers_to_give().select_for_update(skip_locked=True).first()
    if number is None:
        raise FileRefused(_("The number pool is empty."))
    return number


def _sim_in_stock(boutique) -> SimCard:
    sim = sims_to_give(boutique).select_for_update(skip_locked=True).first()
    if sim is None:
        raise FileRefused(_("No SIM card in stock for this boutique."))
    return sim


def _open_line(*, file: SubscriptionFile, actor: User, number=None, sim=None) -> Line:
    contract = Contract.objects.create(
        customer=cast(Customer, file.customer),  # an accepted or boutique file has its customer
        reference=f"C{timezone.localdate():%Y}{file.pk:07d}",
        signed_on=timezone.localdate(),
    )
    # R12.1: the deposit the grid asked is collected with the connection fee at the boutique.
    deposit_hold(contract=contract, amount=file.deposit or Decimal(0), on=timezone.localdate())
    offer = cast(Offer, file.offer)  # a file is sent or sold with its offer chosen
    line = Line.objects.create(contract=contract, offer=offer, number=number or _free_number())
    line_activate(line=line, sim=sim or _sim_in_stock(file.boutique), actor=actor)
    today = timezone.localdate()
    for option in file.options.all():
        LineOption.objects.create(
            line=line,
            option=option,
            started_on=today,
            commitment_ends_on=commitment_end(start=today, months=option.minimum_commitment_months),
        )
    return line


def file_accept(
    *, file: SubscriptionFile, actor: User, number: MobileNumber | None = None, sim=None
) -> SubscriptionFile:
    """R3.2, R4.1: a complete file is accepted; a number and a SIM are assigned, the line opens."""
    if file.status != S.COMPLETE:
        raise FileRefused(_("Only a complete file can be accepted."))
    with transaction.atomic():
        file_transition(file=file, to=S.ACCEPTED, actor=actor, reason=gettext_noop("Accepted"))
        file.line = _open_line(file=file, actor=actor, number=number, sim=sim)
        file.save(update_fields=["line"])
        file_transition(file=file, to=S.ACTIVE, actor=actor, reason=gettext_noop("Line activated"))
    enqueue("subscriptions.tasks.send_file_accepted", file.pk)
    return file


def file_refuse(*, file: SubscriptionFile, actor: User, motive: str) -> SubscriptionFile:
    """R6.2: a written, motivated refusal; the letter is produced and sent after commit."""
    if not motive.strip():
        raise FileRefused(_("A refusal needs its motive."))
    with transaction.atomic():
        file.refusal_motive = motive.strip()
        file.save(update_fields=["refusal_motive"])
        file_transition(file=file, to=S.REFUSED, actor=actor, reason=f"Refused: {motive}"[:500])
    enqueue("subscriptions.tasks.send_refusal_letter", file.pk)
    return file


def boutique_sale(
    *,
    agent: User,
    applicant: User,
    customer: Customer,
    offer: Offer,
    options: list[Option],
    number: MobileNumber | None = None,
    sim: SimCard | None = None,
) -> SubscriptionFile:
    """R13.1, R17.1: the line opens at once; the pieces are due within the grid's days (3)."""
    with transaction.atomic():
        file = SubscriptionFile.objects.create(
            applicant=applicant,
            customer=customer,
            boutique=customer.boutique,
            customer_kind=customer.kind,
            offer=offer,
            channel=SubscriptionFile.Channel.BOUTIQUE,
            **file_charges(offer=offer).__dict__,
        )
        file.options.set(options)
        for document in required_documents(customer.kind):
            FilePiece.objects.create(file=file, required_document=document)
        file.line = _open_line(file=file, actor=agent, number=number, sim=sim)
        file.save(update_fields=["line"])
        file_transition(file=file, to=S.ACTIVE, actor=agent, reason=gettext_noop("Boutique sale"))
        days = grid_parameters(on=timezone.localdate()).incomplete_file_days
        activated_at = cast(datetime, file.line.activated_at)  # _open_line activated the line
        file.documents_due_at = activated_at + timedelta(days=days)
        file.save(update_fields=["documents_due_at"])
    return file
