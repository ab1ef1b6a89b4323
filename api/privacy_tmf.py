"""TMF644 Privacy: the purposes as one profile specification, each customer's current choices
as a profile, their history as an agreement; choices recorded through `privacy.services`."""

from collections import defaultdict

from django.db import transaction
from django.db.models import QuerySet

from api.models import ApiKey, ApiWrite
from api.tmf import PRIVACY_BASE, instant, ref
from privacy.locking import customer_lock
from privacy.models import Consent, Purpose
from privacy.selectors import DEFAULT_GRANTED
from privacy.services import consent_record
from subscriptions.models import Customer

SPECIFICATION_ID = "portal-consents"

# TMF's privacyUsagePurpose and privacyType of each purpose (R21.2, R21.3).
USAGE = {
    Purpose.MARKETING_EMAIL: ("MARKETING", "Internal Purpose"),
    Purpose.MARKETING_SMS: ("MARKETING", "Internal Purpose"),
    Purpose.MARKETING_CALLS: ("MARKETING", "Internal Purpose"),
    Purpose.TRAFFIC_OFFERS: ("RESEARCH", "Internal Purpose"),
    Purpose.PARTNERS: ("MARKETING", "External Purpose"),
}


class ChoiceRefused(Exception):
    """The request names no customer, an unknown purpose or no yes/no value."""


def customers_visible(boutique_id: int | None) -> QuerySet[Customer]:
    customers = Customer.objects.all()
    if boutique_id is not None:
        customers = customers.filter(boutique_id=boutique_id)
    return customers.order_by("pk")


def consents_by_customer(customer_ids: list[int]) -> dict[int, list[Consent]]:
    """Every choice of these customers, oldest first (one query for a page)."""
    rows: dict[int, list[Consent]] = defaultdict(list)
    for consent in Consent.objects.filter(customer_id__in=customer_ids).order_by("at", "pk"):
        rows[consent.customer_id].append(consent)
    return rows


def specification_tmf(base: str) -> dict:
    return {
        "id": SPECIFICATION_ID,
        "href": f"{base}{PRIVACY_BASE}/partyPrivacyProfileSpecification/{SPECIFICATION_ID}",
        "@type": "PartyPrivacyProfileSpecification",
        "name": "Personal data choices",
        "description": "What a customer allows or opposes, per purpose (R21.1-R21.3).",
        "lifecycleStatus": "Active",
        "version": "1",
        "specCharacteristic": [
            {
                "@type": "PartyPrivacyProfileSpecificationCharacteristic",
                "name": purpose.value,
                "description": str(purpose.label),
                "valueType": "boolean",
                "configurable": True,
                "isUnique": True,
                "minCardinality": 1,
                "maxCardinality": 1,
                "privacyUsagePurpose": USAGE[purpose][0],
                "privacyType": USAGE[purpose][1],
                "criticalityLevel": "medium",
                "characteristicValueSpecification": [
                    {
                        "@type": "BooleanCharacteristicValueSpecification",
                        "valueType": "boolean",
                        "isDefault": True,
                        "value": DEFAULT_GRANTED[purpose],
                    }
                ],
            }
            for purpose in Purpose
        ],
    }


def _party(customer: Customer) -> dict:
    company = customer.kind == Customer.Kind.COMPANY
    return {
        "@type": "RelatedPartyRefOrPartyRoleRef",
        "role": "customer",
        "partyOrPartyRole": {
            "@type": "PartyRef",
            "@referredType": "Organization" if company else "Individual",
            "id": str(customer.pk),
        },
    }


def _choices(history: list[Consent]) -> list[dict]:
    latest = {consent.purpose: consent for consent in history}
    return [
        {
            "@type": "PartyPrivacyProfileCharacteristic",
            "privacyUsagePurpose": purpose.value,
            "characterisitc": {
                "@type": "BooleanCharacteristic",
                "name": purpose.value,
                "valueType": "boolean",
                "value": latest[purpose].granted if purpose in latest else DEFAULT_GRANTED[purpose],
            },
        }
        for purpose in Purpose
    ]


def profile_tmf(customer: Customer, history: list[Consent], base: str) -> dict:
    """The customer's current choice per purpose: the latest row, else the default."""
    profile_href = f"{base}{PRIVACY_BASE}/partyPrivacyProfile/{customer.pk}"
    return {
        "id": str(customer.pk),
        "href": profile_href,
        "@type": "PartyPrivacyProfile",
        "name": f"Customer {customer.pk}",
        "status": "active",
        "creationDate": instant(customer.created_at),
        "lastUpdate": instant(history[-1].at if history else customer.created_at),
        "applicableForParty": _party(customer),
        "partyPrivacyProfileSpecification": ref(
            "PartyPrivacyProfileSpecificationRef",
            SPECIFICATION_ID,
            f"{base}{PRIVACY_BASE}/partyPrivacyProfileSpecification/{SPECIFICATION_ID}",
        ),
        "agreement": ref(
            "PartyPrivacyAgreementRef",
            str(customer.pk),
            f"{base}{PRIVACY_BASE}/partyPrivacyAgreement/{customer.pk}",
        ),
        "partyPrivacyProfileCharacteristic": _choices(history),
    }


def agreement_tmf(customer: Customer, history: list[Consent], base: str) -> dict:
    """The customer's choices as given, oldest first: each an authorization with its date,
    channel and whether it agreed or objected (the rows are never changed)."""
    item = {
        "id": str(customer.pk),
        "href": f"{base}{PRIVACY_BASE}/partyPrivacyAgreement/{customer.pk}",
        "@type": "PartyPrivacyAgreement",
        "name": f"Customer {customer.pk}",
        "agreementType": "privacy",
        "status": "approved",
        "engagedParty": [_party(customer)["partyOrPartyRole"]],
        "partyPrivacyProfile": [
            ref(
                "PartyPrivacyProfileRef",
                str(customer.pk),
                f"{base}{PRIVACY_BASE}/partyPrivacyProfile/{customer.pk}",
            )
        ],
        "partyPrivacyProfileCharacteristic": _choices(history),
        "agreementAuthorization": [
            {
                "@type": "AgreementAuthorization",
                "date": instant(consent.at),
                "state": f"{consent.purpose}:{'agreed' if consent.granted else 'objected'}",
                "signatureRepresentation": consent.channel,
            }
            for consent in history
        ],
    }
    if history:
        item["initialDate"] = instant(history[0].at)
    return item


def choices_parse(body: dict) -> dict[str, bool]:
    """{purpose: granted} from TMF characteristics (`characterisitc` as the specification
    spells it, or `characteristic`)."""
    items = body.get("partyPrivacyProfileCharacteristic")
    if not isinstance(items, list) or not items:
        raise ChoiceRefused("partyPrivacyProfileCharacteristic: a list of purposes is required.")
    choices: dict[str, bool] = {}
    for item in items:
        if not isinstance(item, dict):
            raise ChoiceRefused("Each partyPrivacyProfileCharacteristic is an object.")
        characteristic = item.get("characterisitc") or item.get("characteristic") or {}
        purpose = item.get("privacyUsagePurpose") or characteristic.get("name")
        value = characteristic.get("value") if isinstance(characteristic, dict) else None
        if purpose not in Purpose.values:
            raise ChoiceRefused(f"Unknown purpose {purpose!r}: one of {', '.join(Purpose.values)}.")
        if not isinstance(value, bool):
            raise ChoiceRefused(f"{purpose}: the characteristic's value is true or false.")
        choices[purpose] = value
    return choices


def choices_record(
    *, key: ApiKey, customer: Customer, choices: dict[str, bool], method: str, path: str
) -> list[Consent]:
    """R21.1-R21.3: each choice that differs from the current one is appended through the
    portal's own service (channel API, the calling system as its author), so an objection is
    delivered to every recipient like any other; the write is recorded with its key. A choice
    sent again adds nothing."""
    with transaction.atomic():
        customer_lock(customer.pk)  # the lock every choice takes: read and append at once
        current = {
            purpose: history[-1].granted
            for purpose, history in _by_purpose(customer).items()
            if history
        }
        recorded = [
            consent_record(
                customer=customer,
                purpose=purpose,
                granted=granted,
                channel=Consent.Channel.API,
                job=f"API: {key.name}"[:80],
            )
            for purpose, granted in choices.items()
            if current.get(purpose, DEFAULT_GRANTED[purpose]) != granted
        ]
        ApiWrite.objects.create(
            key=key,
            method=method,
            path=path[:255],
            resource="partyPrivacyProfile",
            object_id=str(customer.pk),
            detail={
                "choices": choices,
                "consents": [consent.pk for consent in recorded],
            },
        )
    return recorded


def _by_purpose(customer: Customer) -> dict[str, list[Consent]]:
    rows: dict[str, list[Consent]] = defaultdict(list)
    for consent in consents_by_customer([customer.pk]).get(customer.pk, []):
        rows[consent.purpose].append(consent)
    return rows
