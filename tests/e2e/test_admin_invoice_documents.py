"""R9.5: an agent opens a customer's invoice in the back office and downloads its PDF and its
detailed bill (asked for by the customer) by their visible labels, in French and in Arabic, on
a desktop and on a 375-px phone, without a serious axe-core violation nor a sideways scroll.
The pages are saved under build/screenshots/ to be looked at."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect

from billing.services import invoice_copy_request
from tests.billing.helpers import account, issue
from tests.e2e.accessibility import DESKTOP, PHONE, axe_violations, sideways_scroll
from tests.e2e.conftest import SCREENSHOTS, watched_page
from tests.e2e.helpers import sign_in_to_admin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("private_storage"),
]

LABELS = {
    "fr": ("Facture (PDF)", "Facture détaillée (PDF)"),
    "ar": ("الفاتورة (PDF)", "الفاتورة المفصّلة (PDF)"),
}


def test_r9_5_an_agent_downloads_an_invoice_and_its_detailed_bill_in_fr_and_ar(
    browser: Browser, live_server, grid, lac, agent, browser_errors: list[str]
):
    invoice = issue(account())  # October 2026
    customer = invoice.contract.customer
    customer.boutique = lac
    customer.save(update_fields=["boutique"])
    invoice_copy_request(invoice=invoice, detailed=True)
    page = watched_page(browser, live_server.url, browser_errors)
    sign_in_to_admin(page, agent)
    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for language, (pdf, detailed) in LABELS.items():
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.goto(reverse("admin:billing_invoice_change", args=[invoice.pk]))
            expect(page.locator("html")).to_have_attribute("lang", language)
            # A Latin address reads in its own direction, its house number first, in Arabic too.
            address = page.locator(".field-customer_address .readonly")
            expect(address).to_have_css("unicode-bidi", "plaintext")
            page.screenshot(
                path=SCREENSHOTS / f"admin-invoice-documents-{language}-{size}.png",
                full_page=True,
            )
            problems += [f"[{language} {size}] {p}" for p in axe_violations(page, browser_errors)]
            if wide := sideways_scroll(page):
                problems.append(f"[{language} {size}] {wide}")
            for label, name in ((pdf, f"facture-{invoice.number}.pdf"), (detailed, "-detail.pdf")):
                with page.expect_download() as download:
                    page.get_by_role("link", name=label, exact=True).click()
                assert download.value.suggested_filename.endswith(name)
                assert download.value.path().read_bytes().startswith(b"%PDF")
    assert problems == [], "\n".join(problems)
    assert browser_errors == []
