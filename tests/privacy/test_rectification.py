"""R21.1, R7.2: corrections asked by the customer, decided by an agent with a reason; new bank
details stay pending until staff confirm them."""

import pytest
from django.test import Client
from django.urls import reverse

from privacy.models import BankDetails, RectificationRequest
from privacy.rectification import (
    RectificationRefused,
    rectification_confirm_bank,
    rectification_decide,
    rectification_request,
    rib_valid,
)
from subscriptions.models import Customer

pytestmark = pytest.mark.django_db


def valid_rib(prefix: str = "081230000012345678") -> str:
    return next(prefix + f"{key:02d}" for key in range(100) if rib_valid(prefix + f"{key:02d}"))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_r21_1_an_approved_address_change_applies_to_the_customer(alice, agent):
    client = signed_in(alice.user)
    response = client.post(
        reverse("portal:privacy_rectification"),
        {"kind": "address", "street": "12 rue de Marseille", "postal_code": "1001"},
    )
    assert response.status_code == 302
    request = RectificationRequest.objects.filter(customer=alice).latest("pk")
    assert request.changes == {"street": "12 rue de Marseille", "postal_code": "1001"}
    old_street = alice.street

    rectification_decide(request=request, approve=True, reason="Justificatif vu", actor=agent)

    alice.refresh_from_db()
    request.refresh_from_db()
    assert (alice.street, alice.postal_code) == ("12 rue de Marseille", "1001")
    assert request.status == "applied" and request.decided_by == agent
    assert request.previous["street"] == old_street


def test_r21_1_a_decision_needs_its_reason_and_is_taken_once(alice, agent):
    request = rectification_request(
        customer=alice, kind="identity", changes={"first_name": "Alya"}, actor=alice.user
    )
    with pytest.raises(RectificationRefused):
        rectification_decide(request=request, approve=False, reason=" ", actor=agent)
    rectification_decide(request=request, approve=False, reason="Pièce illisible", actor=agent)
    with pytest.raises(RectificationRefused):
        rectification_decide(request=request, approve=True, reason="Finalement", actor=agent)
    alice.refresh_from_db()
    assert alice.first_name == "Alice"


def test_r7_2_bank_details_stay_pending_until_staff_confirm_them(alice, agent):
    rib = valid_rib()
    request = rectification_request(
        customer=alice,
        kind="bank",
        changes={"holder": "Alice Ben Ali", "rib": rib},
        actor=alice.user,
    )
    rectification_decide(request=request, approve=True, reason="Demande signée", actor=agent)
    request.refresh_from_db()
    assert request.status == "awaiting"
    assert not BankDetails.objects.filter(customer=alice).exists()

    rectification_confirm_bank(request=request, actor=agent)

    details = BankDetails.objects.get(customer=alice)
    assert details.rib == rib and details.rectification == request
    request.refresh_from_db()
    assert request.status == "applied" and request.confirmed_by == agent


def test_r7_2_an_agent_decides_and_confirms_in_the_admin(alice, agent):
    request = rectification_request(
        customer=alice, kind="bank", changes={"holder": "A", "rib": valid_rib()}, actor=alice.user
    )
    client = signed_in(agent)
    url = reverse("admin:privacy_rectificationrequest_change", args=[request.pk])
    assert client.post(url, {"decision": "approve", "reason": ""}).status_code == 200  # reason
    assert client.post(url, {"decision": "approve", "reason": "Lettre annoncée"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "awaiting" and request.decision_reason == "Lettre annoncée"
    assert client.post(url, {"decision": "confirm", "reason": ""}).status_code == 302
    assert BankDetails.objects.filter(customer=alice).count() == 1


def test_r7_2_a_wrong_rib_is_refused_on_the_form(alice):
    response = signed_in(alice.user).post(
        reverse("portal:privacy_rectification"),
        {"kind": "bank", "holder": "Alice", "rib": "08123000001234567800"[:-1] + "9"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200 and "This RIB is not valid" in response.text
    assert not RectificationRequest.objects.filter(customer=alice, kind="bank").exists()


def test_r21_1_an_invalid_identity_change_is_not_applied(alice, agent):
    request = rectification_request(
        customer=alice, kind="identity", changes={"cin": "12"}, actor=alice.user
    )
    with pytest.raises(RectificationRefused):
        rectification_decide(request=request, approve=True, reason="ok", actor=agent)
    assert Customer.objects.get(pk=alice.pk).cin == alice.cin
