"""A real browser (Debian's chromium driven by Playwright's sync API) against `live_server`.

Every test here is marked `browser` and `django_db(transaction=True)`: the live server answers
from another thread, which sees only committed rows. The personas of tests/conftest.py request
`db`; with the marker, pytest-django's `_django_db_helper` makes that a transactional database
too, so their rows are committed: signing in proves the live server's thread reads them.

`serialized_rollback=True` restores the rows the migrations create (the staff groups of
accounts.0002) before each test: a transactional test ends with a flush that would delete them.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Response,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from tests.e2e.accessibility import expect_accessible

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(settings.BASE_DIR) / "build" / "screenshots"
# Chromium asks for /favicon.ico on its own; the portal has none (templates/base.html links no
# icon), so that one 404 is the browser's guess, not a broken page.
FAVICON = "/favicon.ico"


def _served_as_in_production(application):
    """Static files as in production: the WhiteNoise middleware serves the collected, hashed files
    of STATIC_ROOT (`make static`). pytest-django's default, staticfiles' StaticFilesHandler,
    looks in the source directories, where the manifest's hashed names do not exist."""
    return application


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, with production's static files and no media.

    Django's LiveServerThread wraps the site in `_MediaFilesHandler`, which parses MEDIA_URL when
    the thread starts and crashes on every request when it is None (our setting: uploads have
    no URL). A URL on another host makes it pass every request on, so uploads stay unserved.
    """
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(MEDIA_URL="https://media.invalid/"):
        server = LiveServer(addr, start=False)
        server.thread.static_handler = _served_as_in_production
        server.start()
    yield server
    server.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A chromium per test, not per session. While Playwright's sync API is started, an asyncio
    loop runs in this thread: Django then keeps its database connections in another storage
    (asgiref's thread-critical Local switches to a context variable) and async_to_sync refuses
    to run. Per test, the rest of the suite sees neither."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run `make system-packages`.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # The connections the test opened while the loop ran live in that other storage:
            # close them while they are visible, or they outlive the test database's teardown.
            connections.close_all()


@pytest.fixture
def browser_errors() -> list[str]:
    """What the page reported as wrong: console errors (CSP violations among them), uncaught
    exceptions, failed requests and HTTP errors of any resource. A test asserts it stays empty."""
    return []


def on_response(response: Response, browser_errors: list[str]) -> None:
    if response.status >= 400 and not response.url.endswith(FAVICON):
        browser_errors.append(f"HTTP {response.status}: {response.url}")


def on_request_failed(request: Request, browser_errors: list[str]) -> None:
    if not _became_a_download(request) and not _favicon_left_behind(request):
        browser_errors.append(f"request failed: {request.url} {request.failure}")


def _favicon_left_behind(request: Request) -> bool:
    """Chromium fetches the tab's icon after the page has loaded; a test that goes to the next
    page at once aborts that fetch. Nothing a visitor sees: the icon is not the page's."""
    return request.failure == "net::ERR_ABORTED" and "/static/images/favicon." in request.url


def _became_a_download(request: Request) -> bool:
    """Chromium aborts the navigation to a file it downloads (Content-Disposition: attachment):
    the file arrived, the page stays where it was. Not a failure."""
    if request.failure != "net::ERR_ABORTED" or not request.is_navigation_request():
        return False
    response = request.response()
    return (
        response is not None
        and response.ok
        and response.headers.get("content-disposition", "").startswith("attachment")
    )


def watched_page(browser: Browser, base_url: str, browser_errors: list[str]) -> Page:
    """A page in a new browser context (its own cookies: another person), whose problems go to
    `browser_errors`."""
    # A French-speaking visitor: the portal's default language, whatever the machine's locale.
    context = browser.new_context(base_url=base_url, locale="fr-TN")
    context.set_default_timeout(10_000)
    return watched(context.new_page(), browser_errors)


def watched(page: Page, browser_errors: list[str]) -> Page:
    """`page`, whose problems go to `browser_errors` (another tab of the same person, too)."""

    def on_console(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        if message.type == "error" and not url.endswith(FAVICON):
            browser_errors.append(f"console: {message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: browser_errors.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: on_request_failed(request, browser_errors))
    page.on("response", lambda response: on_response(response, browser_errors))
    return page


@pytest.fixture
def page(browser: Browser, live_server, browser_errors: list[str]) -> Iterator[Page]:
    page = watched_page(browser, live_server.url, browser_errors)
    yield page
    page.context.close()


@pytest.fixture
def other_page(browser: Browser, live_server, browser_errors: list[str]) -> Iterator[Page]:
    """A second person at the same time as `page` (e.g. an agent in the back office while the
    customer waits): another browser context, watched the same way."""
    page = watched_page(browser, live_server.url, browser_errors)
    yield page
    page.context.close()


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest):
    """Save the page (or `of`, another page such as `other_page`) as
    build/screenshots/<test name>[-<step>].png for a human to look at.

    Each customer page a journey shows this way is first checked with axe-core (issue 14,
    point 6): the test fails on a serious or critical violation. The back office (`of`) is
    Django's admin, not checked here."""

    def take(step: str = "", of: Page | None = None) -> Path:
        if of is None:
            expect_accessible(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}{'-' + step if step else ''}.png"
        (of or page).screenshot(path=path, full_page=True)
        return path

    return take
