"""R16.1 to R16.4 in a real browser: a customer prepares a termination letter and downloads it,
an agent records its receipt in the admin, and the customer sees the effective date and the fees.

Two people at once: alice in `page`, the agent of her boutique (Tunis Lac) in `other_page`.
alice's line is in its minimum period until 1 March 2027 (tests/conftest.py), so a letter
received before then suspends the line and ends it on the 1st of the next month (R16.4) with the
remaining monthly fees owed (R16.3). The journey happens on 18 November 2026 (the clock ticking
for the browser and the live server): the letter received the day before ends the line on
1 December, still to come, so the line is suspended, not yet ended by the daily sweep.
"""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import User
from lib.money import format_tnd
from subscriptions.models import Customer, Line
from terminations.models import TerminationRequest
from terminations.rules import line_termination_terms
from tests.e2e.helpers import sign_in, sign_in_to_admin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.time_machine(timezone.make_aware(datetime(2026, 11, 18, 10, 0)), tick=True),
]


def test_r16_4_customer_prepares_letter_agent_records_receipt_customer_sees_date_and_fees(
    page: Page,
    other_page: Page,
    alice: Customer,
    agent: User,
    browser_errors: list[str],
    screenshot,
    tmp_path,
):
    line = Line.objects.select_related("number", "offer").get(contract__customer=alice)

    # 1. alice prepares her letter from the dashboard and downloads it.
    page.goto(reverse("portal:login"))
    sign_in(page, alice.user.email)
    page.locator(f'main a[href="{reverse("portal:termination_new")}"]').click()
    page.wait_for_url(f"**{reverse('portal:termination_new')}")
    page.locator(f"input[name=lines][value='{line.pk}']").check()
    page.locator("input[name=motive][value=ordinary]").check()
    page.locator("main form [type=submit]").click()
    request = TerminationRequest.objects.get(customer=alice, status="prepared")
    detail = reverse("portal:termination_detail", args=[request.pk])
    page.wait_for_url(f"**{detail}")
    expect(page.locator("[data-testid=termination-status]")).to_have_text(
        str(TerminationRequest.Status.PREPARED.label)
    )
    with page.expect_download() as download:
        page.locator(f'a[href="{reverse("portal:termination_letter", args=[request.pk])}"]').click()
    letter = tmp_path / "letter.pdf"
    download.value.save_as(letter)
    assert letter.read_bytes().startswith(b"%PDF")
    screenshot("prepared")
    page.goto(reverse("portal:dashboard"))
    expect(page.locator("main")).to_contain_text(request.reference)

    # 2. The agent of her boutique records the registered letter's receipt, with its scan.
    received = timezone.localdate() - timedelta(days=1)
    admin = other_page
    sign_in_to_admin(admin, agent)
    admin.goto(reverse("admin:terminations_terminationrequest_changelist"))
    admin.locator("#result_list").get_by_role("link", name=request.reference).click()
    with translation.override("fr"):
        admin.locator("input[name=received_on]").fill(formats.date_format(received, "d/m/Y"))
    scan = tmp_path / "scan.png"
    Image.new("RGB", (60, 40), "white").save(scan, "PNG")
    admin.locator("input[name=scan]").set_input_files(str(scan))
    screenshot("admin-receipt", of=admin)
    admin.locator("input[name=_save]").click()
    admin.wait_for_url(f"**{reverse('admin:terminations_terminationrequest_changelist')}")
    expect(admin.locator(".messagelist .error")).to_have_count(0)

    # 3. alice sees the effective date and the fees that follow from the rules.
    terms = line_termination_terms(line=line, motive="ordinary", received_on=received)
    assert terms.effective_on == (received.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert terms.effective_on > timezone.localdate()
    page.goto(detail)
    with translation.override("fr"):
        effective = formats.date_format(terms.effective_on, "DATE_FORMAT")
        fees = format_tnd(terms.fees_owed)
    expect(page.locator("[data-testid=effective-on]")).to_have_text(effective)
    expect(page.locator("[data-testid=fees-owed]")).to_have_text(fees)
    expect(page.locator("[data-testid=termination-status]")).to_have_text(
        str(TerminationRequest.Status.RECEIVED.label)
    )
    screenshot()
    request.refresh_from_db()
    assert request.received_by == agent
    assert request.letter_scan
    assert Line.objects.get(pk=line.pk).status == Line.Status.SUSPENDED  # R16.4
    assert browser_errors == []
