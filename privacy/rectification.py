"""R21.1, R7.2: the customer asks for a correction; an agent approves or rejects it with a
reason; an approved bank change stays pending until staff confirm it, then takes effect."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from privacy.models import BankDetails, RectificationRequest
from subscriptions.models import Customer

R = RectificationRequest.Status
K = RectificationRequest.Kind
FIELDS: dict[str, tuple[str, ...]] = {
    K.IDENTITY: (
        "last_name",
        "first_name",
        "birth_date",
        "cin",
        "passport_number",
        "company_name",
        "email",
    ),
    K.ADDRESS: ("street", "postal_code", "city"),
    K.BANK: ("holder", "rib"),
}


class RectificationRefused(Exception):
    """The request or the decision does not fit (a message for the person who asked)."""


def rib_valid(rib: str) -> bool:
    """A Tunisian RIB: 20 digits whose key makes the IBAN TN59<RIB> pass the ISO 13616 check."""
    return len(rib) == 20 and rib.isdigit() and int(rib + "292359") % 97 == 1


def rectification_request(
    *, customer: Customer, kind: str, changes: dict, actor: User
) -> RectificationRequest:
    """Record what the customer asks to change; only the fields of `kind` that differ count."""
    current = {} if kind == K.BANK else {f: str(getattr(customer, f) or "") for f in FIELDS[kind]}
    wanted = {
        field: str(changes[field]).strip()
        for field in FIELDS[kind]
        if field in changes and str(changes[field]).strip() != current.get(field)
    }
    if not wanted:
        raise RectificationRefused(_("Nothing to change."))
    if kind == K.BANK and not rib_valid(wanted.get("rib", "")):
        raise RectificationRefused(_("This RIB is not valid."))
    return RectificationRequest.objects.create(
        customer=customer, kind=kind, changes=wanted, requested_by=actor
    )


def _claim(request: RectificationRequest, status: str) -> RectificationRequest:
    locked = RectificationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != status:
        raise RectificationRefused(_("This request was already decided."))
    return locked


def customer_rectify(*, customer: Customer, changes: dict) -> dict:
    """Apply identity or address values to the customer (validated as the model requires);
    returns the values they replace."""
    previous = {field: str(getattr(customer, field) or "") for field in changes}
    for field, value in changes.items():
        model_field = customer._meta.get_field(field)
        if not isinstance(model_field, models.Field):
            raise RectificationRefused(_("%(field)s cannot be rectified.") % {"field": field})
        empty = None if model_field.null else ""
        setattr(customer, field, model_field.to_python(value) if value else empty)
    try:
        customer.full_clean(exclude=["user", "boutique"])
    except ValidationError as error:
        raise RectificationRefused("; ".join(error.messages)) from error
    customer.save(update_fields=list(changes))
    return previous


def rectification_decide(
    *, request: RectificationRequest, approve: bool, reason: str, actor: User
) -> RectificationRequest:
    """An agent's decision, with its reason. Approved identity or address changes apply now;
    an approved bank change waits for confirmation (R7.2)."""
    if not reason.strip():
        raise RectificationRefused(_("Give the reason of the decision."))
    with transaction.atomic():
        request = _claim(request, R.PENDING)
        request.decided_by, request.decided_at = actor, timezone.now()
        request.decision_reason = reason.strip()[:255]
        if not approve:
            request.status = R.REJECTED
        elif request.kind == K.BANK:
            request.status = R.AWAITING_CONFIRMATION
        else:
            customer = Customer.objects.select_for_update().get(pk=request.customer_id)
            request.previous = customer_rectify(customer=customer, changes=request.changes)
            request.status = R.APPLIED
        request.save()
    return request


def rectification_confirm_bank(
    *, request: RectificationRequest, actor: User
) -> RectificationRequest:
    """R7.2: staff confirm the bank change (registered letter received); it takes effect."""
    with transaction.atomic():
        request = _claim(request, R.AWAITING_CONFIRMATION)
        now = timezone.now()
        current = BankDetails.objects.filter(customer_id=request.customer_id).first()
        request.previous = {"holder": current.holder, "rib": current.rib} if current else {}
        BankDetails.objects.create(
            customer_id=request.customer_id,
            holder=request.changes.get("holder") or request.customer.display_name,
            rib=request.changes["rib"],
            rectification=request,
            confirmed_at=now,
        )
        request.status, request.confirmed_by, request.confirmed_at = R.APPLIED, actor, now
        request.save()
    return request
