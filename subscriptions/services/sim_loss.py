"""Lost or stolen SIM (R14.1 to R14.4): declared by the customer or, after the identity checks,
by an agent; the line is blocked at once; the police declaration follows within 4 days, or the
case waits in the staff queue; a new SIM from the boutique's stock, with the grid's fee, restores
the line.
"""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from billing.charges import charges_add
from billing.models import Charge
from catalogue.models import Fee, Offer
from catalogue.selectors import fee_amount
from lib.uploads import CleanDocument, stored_name
from subscriptions.lifecycle.records import sims_move
from subscriptions.models import (
    Line,
    ProvisioningOrder,
    SimCard,
    SimLossDeclaration,
    SuspensionCause,
)
from subscriptions.services.prepaid import CreditTooLow, prepaid_debit
from subscriptions.services.records import IDENTITY_CHECKS
from subscriptions.services.suspensions import (
    provisioning_request,
    suspension_lift,
    suspension_open,
)

# R14.1: the copy of the police declaration follows the declaration within 4 days.
POLICE_DECLARATION_DELAY = timedelta(days=4)

Channel = SimLossDeclaration.Channel


class SimLossRefused(Exception):
    """The declaration or the replacement cannot be made; the message is for the person."""


def sim_loss_declare(
    *, line: Line, actor: User, channel: str, checks: dict[str, bool] | None = None
) -> SimLossDeclaration:
    """R14.1: block the line at once. R14.4: staff act only after the five identity checks; in
    the portal the customer re-entered their password (the view checks it)."""
    checks = checks or {}
    if channel != Channel.PORTAL and not all(checks.get(name) for name in IDENTITY_CHECKS):
        raise SimLossRefused(_("The five identity checks are required (R14.4)."))
    if line.status in (Line.Status.PENDING, Line.Status.TERMINATED):
        raise SimLossRefused(_("This line is not in service."))
    now = timezone.now()
    with transaction.atomic():
        Line.objects.select_for_update().get(pk=line.pk)
        if line.sim_losses.filter(status=SimLossDeclaration.Status.OPEN).exists():
            raise SimLossRefused(_("A loss is already declared for this line."))
        declaration = SimLossDeclaration.objects.create(
            line=line,
            lost_sim=line.sim,
            channel=channel,
            declared_at=now,
            declared_by=actor,
            police_declaration_due_at=now + POLICE_DECLARATION_DELAY,
            **{name: bool(checks.get(name)) for name in IDENTITY_CHECKS},
        )
        suspension_open(
            line=line,
            cause=SuspensionCause.Cause.LOST_SIM,
            actor=actor,
            reason=gettext_noop("SIM declared lost or stolen (R14.1)"),
        )
    return declaration


def police_declaration_attach(
    *, declaration: SimLossDeclaration, upload: CleanDocument, actor: User
) -> SimLossDeclaration:
    """R14.1: the copy of the police declaration, checked like every upload and kept in the
    private storage; a later copy replaces an earlier one."""
    if declaration.status != SimLossDeclaration.Status.OPEN:
        raise SimLossRefused(_("This declaration is closed."))
    name = default_storage.save(stored_name(upload), ContentFile(upload.content))
    old_name = declaration.police_declaration.name if declaration.police_declaration else ""
    declaration.police_declaration.name = name
    declaration.police_declaration_type = upload.content_type
    declaration.police_declaration_sha256 = upload.sha256
    declaration.police_declaration_at = timezone.now()
    declaration.police_declaration_by = actor
    declaration.save()
    if old_name:
        transaction.on_commit(lambda: default_storage.delete(old_name))
    return declaration


def declarations_overdue(queryset: QuerySet[SimLossDeclaration] | None = None):
    """R14.1 decision: open cases whose police declaration is late, for the staff queue."""
    queryset = SimLossDeclaration.objects.all() if queryset is None else queryset
    return queryset.filter(
        status=SimLossDeclaration.Status.OPEN,
        police_declaration="",
        police_declaration_due_at__lt=timezone.now(),
    )


def replacement_sims(declaration: SimLossDeclaration) -> QuerySet[SimCard]:
    """SIMs in stock at the boutique of the line's customer."""
    return SimCard.objects.filter(
        status=SimCard.Status.IN_STOCK, boutique_id=declaration.line.contract.customer.boutique_id
    )


def sim_replace(*, declaration: SimLossDeclaration, new_sim: SimCard, actor: User) -> Line:
    """R14.3: a new SIM with the grid's replacement fee (on the next invoice of a postpaid
    account; from the credit of a prepaid line, R10.6), then the network swaps the SIM and the
    loss no longer blocks the line. R14.1 decision: not before the police declaration."""
    if not declaration.police_declaration:
        raise SimLossRefused(_("The police declaration must be received first (R14.1)."))
    today = timezone.localdate()
    with transaction.atomic():
        line = Line.objects.select_for_update().select_related("offer").get(pk=declaration.line_id)
        declaration = SimLossDeclaration.objects.select_for_update().get(pk=declaration.pk)
        if declaration.status != SimLossDeclaration.Status.OPEN:
            raise SimLossRefused(_("This SIM was already replaced."))
        if not sims_move(
            sims=replacement_sims(declaration).filter(pk=new_sim.pk), to=SimCard.Status.ASSIGNED
        ):
            raise SimLossRefused(
                _("SIM %(iccid)s is not in this boutique's stock.") % {"iccid": new_sim.iccid}
            )
        fee = fee_amount(Fee.Kind.SIM_REPLACEMENT, on=today, offer=line.offer)
        _replacement_fee_charge(line=line, fee=fee, declaration=declaration, actor=actor)
        if line.sim_id:
            sims_move(sims=SimCard.objects.filter(pk=line.sim_id), to=SimCard.Status.RETIRED)
        line.sim = new_sim
        line.save(update_fields=["sim"])
        declaration.status = SimLossDeclaration.Status.REPLACED
        declaration.new_sim = new_sim
        declaration.replacement_fee = fee
        declaration.replaced_at = timezone.now()
        declaration.replaced_by = actor
        declaration.save()
        # The swap is queued before the unblocking, and the outbox sends a line's orders in
        # the order they were made: the network never unblocks the lost SIM.
        provisioning_request(
            line=line,
            action=ProvisioningOrder.Action.SIM_SWAP,
            key=f"sim-loss-{declaration.pk}-swap",
            reason="R14.3: SIM replaced after a loss",
            payload={"iccid": new_sim.iccid},
        )
        suspension_lift(
            line=line,
            cause=SuspensionCause.Cause.LOST_SIM,
            actor=actor,
            reason=gettext_noop("New SIM given (R14.3)"),
        )
    return line


def _replacement_fee_charge(
    *, line: Line, fee, declaration: SimLossDeclaration, actor: User
) -> None:
    label = f"Remplacement de la carte SIM — {line.number}"
    if line.offer.kind != Offer.Kind.PREPAID:
        charges_add(
            [
                Charge(
                    contract_id=line.contract_id,
                    line=line,
                    fee_kind=Fee.Kind.SIM_REPLACEMENT,
                    label=label,
                    amount=fee,
                    charged_on=timezone.localdate(),
                )
            ]
        )
        return
    if not fee:
        return
    try:
        prepaid_debit(line=line, amount=fee, label=label, actor=actor)
    except CreditTooLow:
        raise SimLossRefused(
            _("The replacement costs %(fee)s TND, paid from the credit: top up the line first.")
            % {"fee": fee}
        ) from None
