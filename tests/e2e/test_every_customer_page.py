"""Issue 14, points 5 and 6, in a real browser: every customer page, in French and in Arabic, on
a desktop and on a 375-px phone, scrolls no sideways and has no serious or critical axe-core
violation; sign-in and a main journey work with the keyboard alone.

The pages are those of `alice` (tests/conftest.py): a postpaid line with an option, an invoice
paid, a termination letter withdrawn, a refused file and the file of her line, a privacy history
(an objection, a copy of her data and a correction asked for); plus a file she is filling in to
add a line, so that every step of the subscription form can be shown.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Locator, Page, expect

from billing.models import Invoice
from catalogue.models import Option, RequiredDocument
from privacy.models import Consent
from privacy.selectors import consent_state
from privacy.services import consent_record
from subscriptions.models import Customer, FilePiece, Line, SubscriptionFile
from subscriptions.services.files import file_draft_for, file_save_step
from terminations.models import TerminationRequest
from tests.e2e.accessibility import DESKTOP, PHONE, axe_start, axe_violations, sideways_scroll
from tests.e2e.conftest import SCREENSHOTS, watched, watched_page
from tests.e2e.helpers import sign_in
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ANONYMOUS_PAGES = [
    ("home", reverse("portal:home")),
    ("login", reverse("portal:login")),
    ("password-reset", reverse("portal:password_reset")),
    ("account", reverse("portal:subscribe_account")),
    ("conditions", reverse("portal:conditions")),
]


def a_new_line_being_filled_in(customer: Customer) -> SubscriptionFile:
    """alice's draft for a second line, every step filled in, so that each step opens."""
    file = file_draft_for(applicant=customer.user)
    line = Line.objects.get(contract__customer=customer)
    file.customer_kind, file.offer, file.boutique = customer.kind, line.offer, customer.boutique
    file.save()
    file.options.set([Option.objects.get(code="sms-illimites")])
    file_save_step(file=file, step="offer", values={"customer_kind": customer.kind})
    file_save_step(file=file, step="options", values={})
    identity = {"last_name": customer.last_name, "first_name": customer.first_name}
    file_save_step(file=file, step="identity", values={**identity, "cin": customer.cin})
    address = {"street": customer.street, "postal_code": customer.postal_code}
    file_save_step(file=file, step="address", values={**address, "city": customer.city})
    piece = FilePiece.objects.create(
        file=file,
        required_document=RequiredDocument.objects.get(customer_kind="individual", code="identity"),
        content_type="image/png",
        original_name="cin.png",
    )
    piece.document.save("documents/test/cin-2.png", ContentFile(b"\x89PNG test"), save=True)
    return file


def customer_pages(customer: Customer) -> list[tuple[str, str]]:
    line = Line.objects.get(contract__customer=customer)
    invoice = Invoice.objects.filter(contract__customer=customer).first()
    files = SubscriptionFile.objects.filter(customer=customer).exclude(status="draft")
    letter = TerminationRequest.objects.get(customer=customer)
    pages = [
        ("dashboard", reverse("portal:dashboard")),
        ("line", reverse("portal:line_detail", args=[line.pk])),
        ("option-add", reverse("portal:line_option_add", args=[line.pk])),
        ("option-end", reverse("portal:option_end", args=[line.line_options.get().pk])),
        ("top-up", reverse("portal:line_top_up", args=[line.pk])),
        ("sim-loss", reverse("portal:line_sim_loss", args=[line.pk])),
        ("suspension", reverse("portal:line_suspension", args=[line.pk])),
        ("invoices", reverse("portal:invoice_list")),
        ("invoice-copy", reverse("portal:invoice_copy", args=[invoice.pk])),
        ("privacy", reverse("portal:privacy")),
        ("rectification", reverse("portal:privacy_rectification")),
        ("pin", reverse("portal:privacy_pin")),
        ("termination-new", reverse("portal:termination_new")),
        ("termination", reverse("portal:termination_detail", args=[letter.pk])),
        *[(f"file-{file.status}", reverse("portal:file_detail", args=[file.pk])) for file in files],
    ]
    steps = ["offer", "options", "identity", "address", "documents", "summary"]
    pages += [(f"step-{s}", reverse("portal:subscribe_step", args=[s])) for s in steps]
    return pages


def check_every_page(
    desktop: Page, phone: Page, pages: list[tuple[str, str]], language: str
) -> list[str]:
    """Each page in two tabs of the same person, a desktop and a 375-px phone, checked at once:
    what scrolls sideways and what axe-core finds serious. The Arabic pages on a phone are saved
    as screenshots (build/screenshots/every-page-ar-phone-*.png) to be looked at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    sizes = (("desktop", desktop), ("phone", phone))
    for name, url in pages:
        for _size, page in sizes:
            page.goto(url)
            axe_start(page)
        for size, page in sizes:
            expect(page.locator("html")).to_have_attribute("lang", language)
            problems += [f"[{language} {size}] {p}" for p in axe_violations(page)]
            if wide := sideways_scroll(page):
                problems.append(f"[{language} {size}] {wide}")
        if language == "ar":
            phone.screenshot(path=SCREENSHOTS / f"every-page-ar-phone-{name}.png", full_page=True)
    return problems


def in_language(page: Page, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])


def desktop_and_phone(browser: Browser, base_url: str, errors: list[str]) -> tuple[Page, Page]:
    """Two tabs of one person (one context: the same cookies), a desktop and a phone."""
    desktop = watched_page(browser, base_url, errors)
    desktop.set_viewport_size(DESKTOP)
    phone = watched(desktop.context.new_page(), errors)
    phone.set_viewport_size(PHONE)
    return desktop, phone


def test_issue14_points_5_6_every_customer_page_fits_a_phone_and_passes_axe_in_fr_and_ar(
    browser: Browser, live_server, alice: Customer, browser_errors: list[str]
):
    a_new_line_being_filled_in(alice)
    pages = customer_pages(alice)
    problems: list[str] = []
    visitor = desktop_and_phone(browser, live_server.url, browser_errors)
    customer = desktop_and_phone(browser, live_server.url, browser_errors)
    customer[0].goto(reverse("portal:login"))
    sign_in(customer[0], alice.user.email)
    for language in ("fr", "ar"):
        for tabs, seen in ((visitor, ANONYMOUS_PAGES), (customer, pages)):
            tabs[0].goto(reverse("portal:home"))
            in_language(tabs[0], language)
            problems += check_every_page(*tabs, seen, language)
    visitor[0].context.close()
    customer[0].context.close()
    assert problems == [], "\n".join(problems)
    assert browser_errors == []


def tab_to(page: Page, target: Locator, *, presses: int = 40) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would; fails if it never does."""
    handle = target.element_handle()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("element => document.activeElement === element", handle):
            return
    raise AssertionError(f"{target} never got the focus with Tab")


def test_issue14_point_6_sign_in_and_objecting_to_partner_sharing_with_the_keyboard_alone(
    page: Page, alice: Customer, browser_errors: list[str]
):
    with translation.override("fr"):
        objected = gettext("Objected")
    consent_record(customer=alice, purpose="partners", granted=True, channel="boutique")
    page.goto(reverse("portal:home"))

    # The skip link comes first, then the menu: sign in is reached with Tab, opened with Enter.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("href", "#main")
    tab_to(page, page.locator(f'nav a[href="{reverse("portal:login")}"]'))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('portal:login')}")
    tab_to(page, page.locator("#id_username"))
    page.keyboard.type(alice.user.email)
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('portal:dashboard')}")

    tab_to(page, page.locator(f'nav a[href="{reverse("portal:privacy")}"]'))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('portal:privacy')}")
    row = page.locator('#choices tr[data-purpose="partners"]')
    tab_to(page, row.locator("button[type=submit]"))
    page.keyboard.press("Enter")
    expect(row.locator(".state")).to_contain_text(objected)
    assert consent_state(alice)["partners"].granted is False
    assert Consent.objects.filter(customer=alice).latest("at", "pk").channel == "portal"
    assert browser_errors == []
