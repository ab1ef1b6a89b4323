"""Issue 18 in a real browser: the customer's invoice page with the XML and TTN's registered copy
(French and Arabic, desktop and phone, axe-core), the back office's list of TTN submissions
(filter, the retry action), and the registered copy drawn as a picture for a human to look at."""

import subprocess

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from einvoicing.models import Submission
from einvoicing.services import registered_copy_render, submission_send
from tests.billing.helpers import issue, poppler
from tests.e2e.accessibility import DESKTOP, PHONE, axe_violations, sideways_scroll
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import sign_in, sign_in_to_admin
from tests.einvoicing.helpers import COMPANY, account, company

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _shot(of: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    of.screenshot(path=SCREENSHOTS / f"einvoice-{name}.png", full_page=True)


def test_einvoice_the_customers_invoice_page_offers_the_xml_in_french_and_arabic(
    grid, page: Page, browser_errors: list[str]
):
    line = account(**COMPANY)
    invoice = issue(line)
    submission = Submission.objects.get(invoice=invoice)
    submission_send(submission_id=submission.pk, job="test")

    page.goto(reverse("portal:login"))
    sign_in(page, line.contract.customer.user.email)
    for language in ("fr", "ar"):
        if language == "ar":
            page.set_viewport_size(DESKTOP)  # the phone's menu folds the language form away
            page.locator("#language").select_option("ar")
            page.locator("nav form:has(#language) [type=submit]").click()
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.goto(reverse("portal:invoice_list"))
            xml = page.locator(f'a[href="{reverse("portal:einvoice_xml", args=[invoice.pk])}"]')
            expect(xml).to_be_visible()
            expect(page.locator(f'a[href="{reverse("portal:einvoice_pdf", args=[invoice.pk])}"]'))
            assert axe_violations(page) == []
            assert sideways_scroll(page) == ""
            _shot(page, f"invoices-{language}-{size}")
    with page.expect_download() as download:
        page.locator(f'a[href="{reverse("portal:einvoice_xml", args=[invoice.pk])}"]').click()
    assert download.value.suggested_filename == f"facture-{invoice.number}.xml"
    assert browser_errors == []


def test_einvoice_the_back_office_filters_refused_submissions_and_sends_them_again(
    grid, page: Page, browser_errors: list[str], supervisor, settings, tmp_path
):
    accepted = Submission.objects.get(invoice=issue(account(**company(1))))
    submission_send(submission_id=accepted.pk, job="test")
    settings.EINVOICE_BACKEND = "tests.einvoicing.test_einvoice.RefusingBackend"
    refused = Submission.objects.get(invoice=issue(account(**company(2))))
    submission_send(submission_id=refused.pk, job="test")
    settings.EINVOICE_BACKEND = "einvoicing.backends.RecordingBackend"

    sign_in_to_admin(page, supervisor)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(reverse("admin:einvoicing_submission_changelist"))
        page.locator("#changelist-filter a", has_text="Refusée par TTN").first.click()
        expect(page.locator("#result_list tbody tr")).to_have_count(1)
        _shot(page, f"admin-refused-{size}")
        # Django's own admin: axe finds on the phone only its filter panel's "?" link
        # (link-in-text-block), which is Django's markup; nothing of this list's own.
        violations = [v for v in axe_violations(page) if "link-in-text-block" not in v]
        assert violations == []
    page.set_viewport_size(DESKTOP)
    page.locator("#result_list tbody tr input.action-select").check()
    page.locator("select[name=action]").select_option("send_again")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("1")
    _shot(page, "admin-sent-again")
    refused.refresh_from_db()  # queued at once and, the tests' tasks running eagerly, sent
    assert (refused.status, refused.round) == ("accepted", 2)

    copy = registered_copy_render(Submission.objects.get(pk=accepted.pk))
    with copy.pdf.open("rb") as stored:
        (tmp_path / "copy.pdf").write_bytes(stored.read())
    subprocess.run(  # noqa: S603
        [poppler("pdftoppm"), "-png", "-r", "80", "-singlefile", "copy.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    (SCREENSHOTS / "einvoice-registered-copy.png").write_bytes((tmp_path / "page.png").read_bytes())
    assert browser_errors == []
