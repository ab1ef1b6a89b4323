"""A customer files again from the dashboard: a second line, or a new file after a refusal."""

from datetime import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Offer, RequiredDocument
from subscriptions.models import Customer, Line, SubscriptionFile
from subscriptions.services.files import file_refuse
from tests.factories import MobileNumberFactory, SimCardFactory
from tests.subscriptions.helpers import (
    QUEUE,
    _mark_all_received,
    png,
    submit_online,
)

STEP = "portal:subscribe_step"
MONDAY_10 = timezone.make_aware(datetime(2026, 6, 1, 10, 0))
OWN_IDENTITY = {
    "last_name": "Trabelsi",
    "first_name": "Nour",
    "birth_date": "1992-03-04",
    "id_kind": "cin",
    "cin": "07 654 321",
}


@pytest.fixture(autouse=True)
def monday():
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def _start_file(client, boutique):
    offer = Offer.objects.get(code="forfait-liberte-20")
    assert (
        client.post(
            reverse(STEP, args=["offer"]),
            {"customer_kind": "individual", "offer": offer.pk, "boutique": boutique.pk},
        ).status_code
        == 302
    )
    client.post(reverse(STEP, args=["options"]), {})


def _finish_file(client, address=None):
    client.post(
        reverse(STEP, args=["address"]),
        address or {"street": "5 rue de Rome", "postal_code": "1000", "city": "Tunis"},
    )
    identity = RequiredDocument.objects.get(customer_kind="individual", code="identity")
    client.post(reverse(STEP, args=["documents"]), {f"piece_{identity.pk}": png()})
    return client.post(reverse(STEP, args=["summary"]), {"accept_conditions": "on"})


def _accept(client, file):
    assert _mark_all_received(client, file).status_code == 302
    client.post(reverse(QUEUE), {"action": "record_connection_fee", "_selected_action": [file.pk]})
    return client.post(
        reverse(QUEUE), {"action": "accept_and_activate", "_selected_action": [file.pk]}
    )


def test_the_dashboard_offers_a_new_line(client, alice):
    client.force_login(alice.user)
    page = client.get(reverse("portal:dashboard"))
    assert "Souscrire une nouvelle ligne" in page.text
    assert f'href="{reverse("portal:subscribe")}"' in page.text


def test_r3_1_an_existing_customer_files_a_second_line_with_their_own_cin(
    client, alice, lac, agent
):
    alice.user.email_confirmed_at = timezone.now()
    alice.user.save(update_fields=["email_confirmed_at"])
    client.force_login(alice.user)
    _start_file(client, lac)
    page = client.get(reverse(STEP, args=["identity"]))
    assert page.context["form"]["cin"].value() == alice.cin
    assert page.context["form"]["last_name"].value() == "Ben Ali"
    response = client.post(
        reverse(STEP, args=["identity"]),
        {**OWN_IDENTITY, "last_name": "Ben Ali", "first_name": "Alice", "cin": alice.cin},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse(STEP, args=["address"])
    response = _finish_file(client)
    file = SubscriptionFile.objects.get(applicant=alice.user, status="received")
    assert response["Location"] == reverse("portal:file_detail", args=[file.pk])
    assert file.customer == alice and Customer.objects.filter(user=alice.user).count() == 1

    MobileNumberFactory()
    SimCardFactory(boutique=lac)
    client.force_login(agent)
    assert _accept(client, file).status_code == 302
    file.refresh_from_db()
    assert file.status == "active"
    assert Line.objects.filter(contract__customer=alice).count() == 2


def test_r3_3_a_customer_with_a_line_keeps_their_identity_on_a_new_file(client, lac, alice, bob):
    """Their identity was checked when their line opened: a changed CIN goes by rectification."""
    client.force_login(alice.user)
    _start_file(client, lac)
    response = client.post(
        reverse(STEP, args=["identity"]), {**OWN_IDENTITY, "cin": bob.cin, "last_name": "X"}
    )
    assert response["Location"] == reverse(STEP, args=["address"])
    identity = SubscriptionFile.objects.get(applicant=alice.user, status="draft").draft["identity"]
    assert identity["cin"] == alice.cin and identity["last_name"] == "Ben Ali"


def test_r6_2_a_customer_whose_file_was_refused_files_again_and_is_accepted(
    client,
    grid,
    lac,
    newcomer,
    agent,
    bob,
):
    submit_online(client, lac, newcomer)
    first = SubscriptionFile.objects.get(applicant=newcomer)
    file_refuse(file=first, actor=agent, motive="Pas de couverture à cette adresse")
    customer = Customer.objects.get(user=newcomer)

    _start_file(client, lac)
    refused = client.post(reverse(STEP, args=["identity"]), {**OWN_IDENTITY, "cin": bob.cin})
    assert refused.context["form"].has_error("cin", "cin_taken")
    assert "Un client possède déjà ce numéro de CIN" in refused.text
    page = client.get(reverse(STEP, args=["identity"]))
    assert page.context["form"]["cin"].value() == "07654321"
    response = client.post(reverse(STEP, args=["identity"]), OWN_IDENTITY)
    assert response["Location"] == reverse(STEP, args=["address"])
    response = _finish_file(
        client, {"street": "12 rue de Marseille", "postal_code": "1001", "city": "Tunis"}
    )
    second = SubscriptionFile.objects.get(applicant=newcomer, status="received")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:file_detail", args=[second.pk])
    assert second.customer == customer and Customer.objects.filter(user=newcomer).count() == 1
    customer.refresh_from_db()
    assert customer.street == "12 rue de Marseille"  # never used for a line: the new file's
    assert second.status_changes.filter(
        reason="Customer details taken from this file: street, postal_code", actor=newcomer
    ).exists()

    MobileNumberFactory()
    SimCardFactory(boutique=lac)
    client.force_login(agent)
    assert _accept(client, second).status_code == 302
    second.refresh_from_db()
    assert second.status == "active"
    assert Line.objects.filter(contract__customer=customer).count() == 1
