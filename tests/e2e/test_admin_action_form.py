"""Issue 13, point 5: the admin's one action form page (lib.admin.action_form_page), as an agent
meets it in French and in Arabic, on a desktop and on a 375-px phone: it says which line it acts
on, reads without a serious axe-core violation nor a sideways scroll, and leads back to the list
of lines without acting. The pages are saved under build/screenshots/ to be looked at."""

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from lib.bidi import ltr
from subscriptions.models import Customer, Line
from tests.e2e.accessibility import DESKTOP, PHONE, axe_violations, sideways_scroll
from tests.e2e.conftest import SCREENSHOTS, watched_page
from tests.e2e.helpers import sign_in_to_admin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def open_the_action(page: Page, line: Line, action: str) -> None:
    """From the list of lines: tick `line`, choose `action` and run it, as an agent does."""
    page.goto(reverse("admin:subscriptions_line_changelist"))
    page.locator(f"input[name=_selected_action][value='{line.pk}']").check()
    page.locator("select[name=action]").select_option(action)
    page.locator("button[name=index]").click()
    expect(page.locator(f"input[name=action][value={action}]")).to_have_count(1)


def test_issue13_the_action_form_page_reads_in_fr_and_ar_on_a_desktop_and_a_phone(
    browser: Browser, live_server, new_alice: Customer, agent, browser_errors: list[str]
):
    line = Line.objects.get(contract__customer=new_alice)
    page = watched_page(browser, live_server.url, browser_errors)
    sign_in_to_admin(page, agent)
    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for language in ("fr", "ar"):
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            open_the_action(page, line, "customer_request_suspension")
            expect(page.locator("html")).to_have_attribute("lang", language)
            direction = "rtl" if language == "ar" else "ltr"
            expect(page.locator("html")).to_have_attribute("dir", direction)
            # The number keeps its "+" in front in an Arabic sentence.
            expect(page.locator("#content")).to_contain_text(ltr(line.number.msisdn))
            page.screenshot(
                path=SCREENSHOTS / f"admin-action-form-{language}-{size}.png", full_page=True
            )
            problems += [f"[{language} {size}] {p}" for p in axe_violations(page)]
            if wide := sideways_scroll(page):
                problems.append(f"[{language} {size}] {wide}")
            # Back to the list without acting, by the breadcrumbs or the cancel link.
            lines = reverse("admin:subscriptions_line_changelist")
            expect(page.locator(f".breadcrumbs a[href='{lines}']")).to_have_count(1)
            page.locator(".submit-row .cancel-link").click()
            page.wait_for_url(f"**{lines}")
    assert problems == [], "\n".join(problems)
    assert browser_errors == []
    line.refresh_from_db()
    assert line.status == Line.Status.ACTIVE
