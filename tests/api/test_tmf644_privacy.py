"""TMF644 Privacy: the purposes, each customer's current choices and their history as TM
Forum's schemas define them; a trusted system's choice goes through the portal's own service
(append-only, channel API, the system as author) and an objection propagates like any other."""

import pytest

from api.models import ApiWrite
from privacy.delivery import delivery_attempt
from privacy.models import Consent, ObjectionDelivery, Purpose, Recipient, SuppressionEntry
from privacy.services import consent_record
from subscriptions.models import Customer
from tests.api.tmf_schema import tmf_validate

BASE = "/tmf-api/partyPrivacyManagement/v5"


def choice(purpose: str, value: bool) -> dict:
    return {
        "@type": "PartyPrivacyProfileCharacteristic",
        "privacyUsagePurpose": purpose,
        "characterisitc": {"@type": "BooleanCharacteristic", "name": purpose, "value": value},
    }


def current(profile: dict) -> dict[str, bool]:
    return {
        item["privacyUsagePurpose"]: item["characterisitc"]["value"]
        for item in profile["partyPrivacyProfileCharacteristic"]
    }


def test_tmf644_specification_lists_the_purposes(crm):
    [specification] = crm.get(f"{BASE}/partyPrivacyProfileSpecification").json()
    tmf_validate("TMF644", "PartyPrivacyProfileSpecification", specification)
    names = [c["name"] for c in specification["specCharacteristic"]]
    assert names == list(Purpose.values)
    one = crm.get(f"{BASE}/partyPrivacyProfileSpecification/{specification['id']}").json()
    assert one == specification


def test_tmf644_profile_shows_the_current_choice_per_purpose(alice, bob, crm):
    consent_record(customer=alice, purpose="marketing_sms", granted=True, channel="portal")
    consent_record(customer=alice, purpose="partners", granted=False, channel="phone")
    answer = crm.get(f"{BASE}/partyPrivacyProfile")
    assert answer["X-Total-Count"] == str(Customer.objects.count())
    for profile in answer.json():
        tmf_validate("TMF644", "PartyPrivacyProfile", profile)
    profile = crm.get(f"{BASE}/partyPrivacyProfile/{alice.pk}").json()
    tmf_validate("TMF644", "PartyPrivacyProfile", profile)
    assert current(profile) == {
        "marketing_email": False,
        "marketing_sms": True,
        "marketing_calls": False,
        "traffic_offers": True,  # R21.2: allowed until the customer objects
        "partners": False,
    }
    agreement = crm.get(f"{BASE}/partyPrivacyAgreement/{alice.pk}").json()
    tmf_validate("TMF644", "PartyPrivacyAgreement", agreement)
    assert [a["state"] for a in agreement["agreementAuthorization"]][-2:] == [
        "marketing_sms:agreed",
        "partners:objected",
    ]
    for item in crm.get(f"{BASE}/partyPrivacyAgreement").json():
        tmf_validate("TMF644", "PartyPrivacyAgreement", item)


@pytest.mark.parametrize("content_type", ["application/merge-patch+json", "application/json"])
def test_tmf644_r21_3_an_objection_from_a_system_is_recorded_and_propagated(
    alice, crm, content_type
):
    consent_record(customer=alice, purpose="partners", granted=True, channel="portal")
    partner = Recipient.objects.create(name="Partner list", kind="internal", purposes=["partners"])
    answer = crm.patch(
        f"{BASE}/partyPrivacyProfile/{alice.pk}",
        {"partyPrivacyProfileCharacteristic": [choice("partners", False)]},
        content_type=content_type,
    )
    assert answer.status_code == 200
    tmf_validate("TMF644", "PartyPrivacyProfile", answer.json())
    assert current(answer.json())["partners"] is False
    consent = Consent.objects.filter(customer=alice).latest("pk")
    assert (consent.purpose, consent.granted, consent.channel) == ("partners", False, "api")
    assert consent.actor is None and consent.job == "API: CRM"
    # In the outbox of every recipient of the purpose, like any other objection (R21.3).
    delivery = ObjectionDelivery.objects.get(consent=consent, recipient=partner)
    delivery_attempt(delivery_id=delivery.pk)
    assert SuppressionEntry.objects.filter(customer=alice, purpose="partners").count() == 1
    write = ApiWrite.objects.get()
    assert (write.key.name, write.method, write.object_id) == ("CRM", "PATCH", str(alice.pk))
    assert write.detail["consents"] == [consent.pk]
    # The same choice sent again adds nothing: the history is appended only when it changes.
    crm.patch(
        f"{BASE}/partyPrivacyProfile/{alice.pk}",
        {"partyPrivacyProfileCharacteristic": [choice("partners", False)]},
    )
    assert Consent.objects.filter(customer=alice, channel="api").count() == 1


def test_tmf644_create_records_a_consent_for_the_named_customer(alice, crm):
    answer = crm.post(
        f"{BASE}/partyPrivacyProfile",
        {
            "applicableForParty": {"role": "customer", "partyOrPartyRole": {"id": str(alice.pk)}},
            "partyPrivacyProfileCharacteristic": [choice("marketing_email", True)],
        },
    )
    assert answer.status_code == 201
    assert current(answer.json())["marketing_email"] is True
    assert Consent.objects.filter(customer=alice, channel="api", granted=True).count() == 1
    refused = crm.post(
        f"{BASE}/partyPrivacyProfile",
        {
            "applicableForParty": {"partyOrPartyRole": {"id": str(alice.pk)}},
            "partyPrivacyProfileCharacteristic": [choice("horoscope", True)],
        },
    )
    assert refused.status_code == 400
    tmf_validate("TMF644", "Error", refused.json())
    assert crm.post(f"{BASE}/partyPrivacyProfile", {"x": 1}).status_code == 400
