"""Transfer of a line to another holder (R18.1): never without the operator's prior written
consent. An agent records the request with the new holder's identity checked as at a
subscription (identity document, the five checks of R3.3); a supervisor approves it, which
produces the written approval (a letter) and carries it out: the holder's line ends on their
contract (its fees to date, their final invoice if it was their last line) and a line with the
same number and SIM opens on a new contract of the new holder, from the next day."""

from datetime import datetime, time, timedelta
from typing import cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_supervisor
from lib.pdf import render_pdf
from lib.uploads import CleanDocument, stored_name
from subscriptions.models import Contract, Customer, Line, SimCard
from subscriptions.models.files import IDENTITY_CHECKS
from subscriptions.services.records import line_activate
from terminations.ending import line_end
from terminations.models import LineTransfer
from terminations.notices import customer_language

T = LineTransfer.Status


class TransferRefused(Exception):
    pass


def line_transfer_request(
    *,
    line: Line,
    new_holder: Customer,
    identity_document: CleanDocument,
    checks: dict[str, bool],
    actor: User,
) -> LineTransfer:
    """R18.1: record the request; nothing moves before a supervisor's written approval."""
    if line.status in (Line.Status.PENDING, Line.Status.TERMINATED):
        raise TransferRefused(_("Only a line in service is transferred."))
    if new_holder.pk == line.contract.customer_id:
        raise TransferRefused(_("The new holder is the line's holder already."))
    if not all(checks.get(name) for name in IDENTITY_CHECKS):
        raise TransferRefused(_("Check the new holder's identity on all five points first."))
    if LineTransfer.objects.filter(line=line, status=T.REQUESTED).exists():
        raise TransferRefused(_("A transfer of this line is awaiting approval already."))
    transfer = LineTransfer(
        line=line,
        new_holder=new_holder,
        requested_by=actor,
        **{name: True for name in IDENTITY_CHECKS},
    )
    transfer.identity_document.save(
        stored_name(identity_document), ContentFile(identity_document.content), save=False
    )
    transfer.save()
    return transfer


def line_transfer_refuse(*, transfer: LineTransfer, actor: User, reason: str) -> LineTransfer:
    if not is_supervisor(actor):
        raise TransferRefused(_("Only a supervisor decides a transfer."))
    if not LineTransfer.objects.filter(pk=transfer.pk, status=T.REQUESTED).update(
        status=T.REFUSED, decided_by=actor, decided_at=timezone.now(), decision_reason=reason[:255]
    ):
        raise TransferRefused(_("This transfer is decided already."))
    transfer.refresh_from_db()
    return transfer


def line_transfer_approve(*, transfer: LineTransfer, actor: User, reason: str) -> LineTransfer:
    """R18.1: the supervisor's written consent, then the transfer itself."""
    if not is_supervisor(actor):
        raise TransferRefused(_("Only a supervisor decides a transfer."))
    tomorrow = timezone.localdate() + timedelta(days=1)
    with transaction.atomic():
        if not LineTransfer.objects.filter(pk=transfer.pk, status=T.REQUESTED).update(
            status=T.DONE, decided_by=actor, decided_at=timezone.now(), decision_reason=reason[:255]
        ):
            raise TransferRefused(_("This transfer is decided already."))
        transfer.refresh_from_db()
        old = Line.objects.select_related("contract", "number", "sim", "offer").get(
            pk=transfer.line_id
        )
        why = f"Transfert à {transfer.new_holder} avec accord écrit (R18.1)"[:255]
        # R18.1: the number and the SIM stay in service and pass to the new holder's line, the
        # consented transfer being no reassignment to a stranger (R17.3's quarantine).
        if not line_end(
            line=old,
            on=timezone.localdate(),
            reason=why,
            sim_returned=True,
            actor=actor,
            keep_number_and_sim=True,
        ):
            raise TransferRefused(_("This line is terminated already."))
        contract = Contract.objects.create(
            customer=transfer.new_holder,
            reference=f"{old.contract.reference}-T{transfer.pk}"[:20],
            signed_on=timezone.localdate(),
        )
        new_line = Line.objects.create(contract=contract, offer=old.offer, number=old.number)
        line_activate(
            line=new_line,
            sim=cast(SimCard, old.sim),  # in service, so with a SIM, kept by line_end
            taken_over_from=old,
            actor=actor,
            at=timezone.make_aware(datetime.combine(tomorrow, time.min)),
        )
        transfer.new_line = new_line
        transfer.save(update_fields=["new_line"])
    # The letter is rendered and stored after the commit: no PDF nor storage in a transaction.
    pdf = render_pdf(
        "pdf/transfer_approval.html",
        {"transfer": transfer, "old": old, "new_line": new_line, "operator": settings.OPERATOR},
        language=customer_language(old.contract.customer),
    )
    transfer.approval_letter.save(f"letters/transfer-{transfer.pk}.pdf", ContentFile(pdf))
    return transfer
