"""The API's reference page in a real browser: Swagger UI from the portal's own static files
renders the OpenAPI document's operations under the site's Content-Security-Policy, with no
console error (a CSP violation is one) and no request elsewhere."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_tmf_api_docs_page_renders_under_the_csp(page: Page, live_server, browser_errors):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    answer = page.goto("/tmf-api/docs")
    assert answer is not None and answer.ok
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    # The operations of both APIs, read from /tmf-api/openapi.json.
    expect(
        page.locator(".opblock-summary-path", has_text="/customerBill/{id}").first
    ).to_be_visible()
    expect(
        page.locator(".opblock-summary-path", has_text="/partyPrivacyProfile").first
    ).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/customerBill/{id}").first.click()
    expect(page.locator(".opblock-body .parameters").first).to_be_visible()
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert browser_errors == []
