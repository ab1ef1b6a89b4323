"""R21.3 in a real browser: a customer objects to partner sharing on the privacy page, sees it
in the history, and the objection is delivered to the recipients at once."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from privacy.models import Consent, ObjectionDelivery, Purpose
from privacy.selectors import consent_state
from privacy.services import consent_record
from subscriptions.models import Customer
from tests.e2e.helpers import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_r21_3_customer_objects_to_partner_sharing_and_sees_it_in_the_history(
    page: Page, alice: Customer, browser_errors: list[str], screenshot
):
    # She objected once (tests/conftest.py), then agreed again in a boutique.
    consent_record(customer=alice, purpose="partners", granted=True, channel="boutique")
    with translation.override("fr"):
        allowed, objected = gettext("Allowed"), gettext("Objected")
        partners, portal = str(Purpose.PARTNERS.label), str(Consent.Channel.PORTAL.label)

    page.goto(reverse("portal:login"))
    sign_in(page, alice.user.email)
    page.locator(f'nav a[href="{reverse("portal:privacy")}"]').click()
    row = page.locator('#choices tr[data-purpose="partners"]')
    expect(row.locator(".state")).to_contain_text(allowed)
    screenshot("before")

    row.locator("button[type=submit]").click()

    expect(row.locator(".state")).to_contain_text(objected)
    newest = page.locator("#history tbody tr").first
    expect(newest).to_contain_text(partners)
    expect(newest).to_contain_text(objected)
    expect(newest).to_contain_text(portal)
    screenshot("after")
    assert consent_state(alice)["partners"].granted is False
    objection = Consent.objects.filter(customer=alice).latest("at", "pk")
    assert (objection.purpose, objection.granted, objection.actor) == (
        "partners",
        False,
        alice.user,
    )
    # The operator's partner list was told (tasks run in the web process in the test settings).
    assert ObjectionDelivery.objects.get(consent=objection).status == "delivered"
    assert browser_errors == []
