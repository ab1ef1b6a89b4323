"""R7.4: the service PIN is stored hashed, changed by the customer after typing their password
again, and shown to no staff."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from privacy.models import ServicePin, StaffAccessLog
from privacy.services import service_pin_check
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_r7_4_the_customer_changes_the_pin_after_typing_their_password(new_alice):
    url = reverse("portal:privacy_pin")
    client = signed_in(new_alice.user)

    refused = client.post(url, {"password": "wrong", "pin1": "4821", "pin2": "4821"})
    assert refused.status_code == 200 and not ServicePin.objects.exists()

    response = client.post(url, {"password": PASSWORD, "pin1": "4821", "pin2": "4821"})

    assert response.status_code == 302
    stored = ServicePin.objects.get(customer=new_alice)
    assert "4821" not in stored.pin_hash and stored.pin_hash.count("$") >= 2  # a hasher's format
    assert service_pin_check(customer=new_alice, pin="4821")
    assert not service_pin_check(customer=new_alice, pin="4822")
    assert stored.changed_by == new_alice.user


def test_r7_4_a_weak_or_mistyped_pin_is_refused(new_alice):
    client = signed_in(new_alice.user)
    for pin1, pin2 in (("1111", "1111"), ("12", "12"), ("4821", "4812"), ("48a1", "48a1")):
        response = client.post(
            reverse("portal:privacy_pin"), {"password": PASSWORD, "pin1": pin1, "pin2": pin2}
        )
        assert response.status_code == 200
    assert not ServicePin.objects.exists()


def test_r7_4_staff_never_see_the_pin(new_alice, supervisor):
    client = signed_in(new_alice.user)
    client.post(
        reverse("portal:privacy_pin"), {"password": PASSWORD, "pin1": "4821", "pin2": "4821"}
    )
    stored = ServicePin.objects.get(customer=new_alice)
    assert ServicePin not in admin.site._registry
    page = signed_in(supervisor).get(
        reverse("admin:subscriptions_customer_change", args=[new_alice.pk])
    )
    assert page.status_code == 200 and stored.pin_hash not in page.text


def _check(client: Client, customer, **form):
    return client.post(
        reverse("admin:subscriptions_customer_changelist"),
        {"action": "check_service_pin", ACTION_CHECKBOX_NAME: [customer.pk], **form},
        follow=True,
    )


def test_r7_4_r6_5_an_agent_checks_the_pin_said_on_the_phone_and_each_check_is_logged(
    new_alice, agent, sfax_agent
):
    signed_in(new_alice.user).post(
        reverse("portal:privacy_pin"), {"password": PASSWORD, "pin1": "4821", "pin2": "4821"}
    )
    client = signed_in(agent)  # Tunis Lac: new_alice's boutique
    page = _check(client, new_alice)
    assert set(page.context["form"].fields) == {"pin"}
    right = _check(client, new_alice, pin="4821")
    wrong = _check(client, new_alice, pin="4822")
    assert [m.level_tag for m in right.context["messages"]] == ["success"]
    assert [m.level_tag for m in wrong.context["messages"]] == ["error"]
    assert "4821" not in right.text
    checks = StaffAccessLog.objects.filter(customer=new_alice, staff=agent, detail__contains="PIN")
    assert sorted(checks.values_list("detail", flat=True)) == [
        "service PIN checked: right",
        "service PIN checked: wrong",
    ]
    other = _check(signed_in(sfax_agent), new_alice, pin="4821")  # Sfax: not their customer
    assert not any(m.level_tag == "success" for m in other.context["messages"])
    assert not StaffAccessLog.objects.filter(staff=sfax_agent).exists()
