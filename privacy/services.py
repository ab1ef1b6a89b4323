"""Use cases of consents (R21.1-R21.3), staff accesses (R6.5) and the service PIN (R7.4)."""

import re
from collections.abc import Iterable

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from lib.tasks import enqueue
from privacy.locking import customer_lock
from privacy.marketing import campaign_queue
from privacy.models import (
    AccessRequest,
    Campaign,
    Consent,
    ObjectionDelivery,
    Purpose,
    Recipient,
    ServicePin,
    StaffAccessLog,
)
from privacy.selectors import consent_granted, consent_state
from subscriptions.models import Customer


def consent_record(
    *,
    customer: Customer,
    purpose: str,
    granted: bool,
    channel: str,
    actor: User | None = None,
    job: str = "",
) -> Consent:
    """Append the customer's choice for one purpose (R21.1). An objection to a purpose that was
    allowed is effective when this commits and is then delivered to every recipient (R21.3)."""
    with transaction.atomic():
        customer_lock(customer.pk)
        was_granted = consent_granted(customer.pk, purpose)
        consent = Consent.objects.create(
            customer=customer,
            purpose=purpose,
            granted=granted,
            channel=channel,
            actor=actor,
            job=job,
        )
        deliveries = (
            objection_deliveries_create(consent=consent) if was_granted and not granted else []
        )
    for delivery in deliveries:
        enqueue("privacy.tasks.deliver_objection", delivery.pk)
    return consent


def objection_deliveries_create(*, consent: Consent) -> list[ObjectionDelivery]:
    """R21.3: one outbox message per active recipient of the purpose."""
    recipients = [
        r for r in Recipient.objects.filter(is_active=True) if consent.purpose in r.purposes
    ]
    now = timezone.now()
    return ObjectionDelivery.objects.bulk_create(
        ObjectionDelivery(consent=consent, recipient=recipient, next_attempt_at=now)
        for recipient in recipients
    )


def consent_object_all(*, customer: Customer, channel: str, actor: User | None = None) -> list:
    """One click: oppose every purpose still allowed."""
    with transaction.atomic():
        customer_lock(customer.pk)
        return [
            consent_record(
                customer=customer,
                purpose=state.purpose,
                granted=False,
                channel=channel,
                actor=actor,
            )
            for state in consent_state(customer).values()
            if state.granted
        ]


def consents_at_subscription(*, customer: Customer, granted: set[str], actor: User) -> None:
    """The choices ticked (or not) on the subscription form, one row per purpose. A new
    customer's first choices tell no recipient anything: nothing of theirs was passed on yet."""
    with transaction.atomic():
        customer_lock(customer.pk)
        if customer.consents.exists():
            for purpose in Purpose:
                consent_record(
                    customer=customer,
                    purpose=purpose,
                    granted=purpose in granted,
                    channel=Consent.Channel.PORTAL,
                    actor=actor,
                )
            return
        for purpose in Purpose:
            Consent.objects.create(
                customer=customer,
                purpose=purpose,
                granted=purpose in granted,
                channel=Consent.Channel.PORTAL,
                actor=actor,
            )


def staff_access_record(
    *, staff: User, customer_id: int | None, what: str, detail: str = ""
) -> StaffAccessLog:
    """R6.5: staff opened a customer's identity document or personal page."""
    return StaffAccessLog.objects.create(
        staff=staff, customer_id=customer_id, what=what, detail=detail[:120]
    )


PIN_FORMAT = re.compile(r"^\d{4,8}$")


class PinRefused(Exception):
    """The PIN is not acceptable (a message for the customer)."""


def service_pin_set(*, customer: Customer, pin: str, actor: User) -> ServicePin:
    """R7.4: the PIN is kept as a password hash; nobody can read it back."""
    if not PIN_FORMAT.match(pin) or len(set(pin)) == 1:
        raise PinRefused(_("4 to 8 digits, not all the same."))
    service_pin, _created = ServicePin.objects.update_or_create(
        customer=customer,
        defaults={
            "pin_hash": make_password(pin),
            "changed_at": timezone.now(),
            "changed_by": actor,
        },
    )
    return service_pin


def service_pin_check(*, customer: Customer, pin: str) -> bool:
    """Whether `pin` is the customer's PIN, without showing it to whoever asks (R7.4)."""
    service_pin = ServicePin.objects.filter(customer=customer).first()
    return service_pin is not None and check_password(pin, service_pin.pin_hash)


def access_request(*, customer: Customer, actor: User) -> AccessRequest:
    """R21.1: the customer asks for a copy of their data; it is built by a worker (built once:
    asking again while it is prepared queues the same one, while it can be downloaded gives it)."""
    request = (
        customer.access_requests.filter(
            Q(status=AccessRequest.Status.PENDING)
            | Q(status=AccessRequest.Status.READY, expires_at__gt=timezone.now())
        )
        .order_by("-pk")
        .first()
    ) or AccessRequest.objects.create(customer=customer, requested_by=actor)
    if request.status == AccessRequest.Status.READY:
        return request
    enqueue("privacy.tasks.build_access_export", request.pk)
    return request


def campaign_start(*, campaign: Campaign, customer_ids: Iterable[int]) -> int:
    """Queue the campaign's messages and send them from a worker (consent checked per message)."""
    with transaction.atomic():
        queued = campaign_queue(campaign=campaign, customer_ids=customer_ids)
    enqueue("privacy.tasks.send_campaign", campaign.pk)
    return queued
