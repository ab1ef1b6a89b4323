"""A customer's journey in a real browser: the offers, sign-in, the dashboard, Arabic (RTL)."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from subscriptions.models import Customer, Line
from tests.e2e.helpers import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# "20,000 TND" in French: three decimals (millimes), then the currency.
PRICE_IN_TND = re.compile(r"\d[\d\s\u00a0\u202f]*,\d{3}\sTND")


def the_line(customer: Customer) -> Line:
    return Line.objects.select_related("number", "offer").get(contract__customer=customer)


def expect_dashboard_shows(page: Page, line: Line, language: str) -> None:
    with translation.override(language):
        offer, option, status = (
            line.offer.label,
            line.line_options.get().option.label,
            line.get_status_display(),
        )
    row = page.locator("main table tbody tr").filter(has_text=line.number.msisdn)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(offer)
    expect(row).to_contain_text(option)
    expect(row).to_contain_text(status)


def test_customer_signs_in_by_email_sees_dashboard_and_switches_to_arabic(
    page: Page, alice: Customer, browser_errors: list[str], screenshot
):
    line = the_line(alice)

    page.goto(reverse("portal:home"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    liberte = page.locator(".offer-card").filter(has_text="Forfait Liberté 20")
    expect(liberte.locator("p.price")).to_contain_text(re.compile(r"^20,000\sTND"))
    for price in page.locator(".price").all():
        expect(price).to_contain_text(PRICE_IN_TND)
    screenshot("home")

    page.locator(f'nav a[href="{reverse("portal:login")}"]').click()
    sign_in(page, alice.user.email)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect_dashboard_shows(page, line, "fr")

    page.locator("#language").select_option("ar")
    page.locator("nav form:has(#language) [type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert page.url.endswith(reverse("portal:dashboard"))
    expect_dashboard_shows(page, line, "ar")
    screenshot()

    assert browser_errors == []


def test_customer_signs_in_with_a_local_mobile_number_and_sees_dashboard(
    page: Page, alice: Customer, browser_errors: list[str], screenshot
):
    alice.user.mobile = "+21620123456"
    alice.user.save(update_fields=["mobile"])
    line = the_line(alice)

    page.goto(reverse("portal:login"))
    sign_in(page, "20 123 456")
    expect_dashboard_shows(page, line, "fr")
    screenshot()

    assert browser_errors == []
