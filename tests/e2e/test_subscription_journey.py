"""R3.1, R3.2 in a real browser: a newcomer subscribes online, an agent activates the line in the
back office, the customer sees it.

Two people at once: the customer in `page`, the agent of the Tunis Lac boutique in `other_page`
(another browser context, so other cookies). The live server runs in this process with the
locmem e-mail backend of Django's test environment: the confirmation link is read from
`mail.outbox`.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from accounts.models import Boutique, User
from catalogue.models import Offer, Option, RequiredDocument
from lib.uploads import MESSAGES
from subscriptions.admin.files import SubscriptionFileAdmin
from subscriptions.models import Customer, FilePiece, MobileNumber, SubscriptionFile
from tests.e2e.helpers import sign_in_to_admin
from tests.factories import PASSWORD, MobileNumberFactory, SimCardFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEWCOMER = {
    "first_name": "Salma",
    "last_name": "Trabelsi",
    "email": "salma.trabelsi@example.tn",
    "mobile": "22 345 678",
}
CIN = "09876543"
QUEUE = "admin:subscriptions_subscriptionfile_changelist"


def french(message: str | Promise, *, as_in_english: bool = False, **params) -> str:
    """What a French-speaking visitor reads for a message of the code (a msgid or a lazy
    string): its French translation, which must exist unless the word is the same in both
    languages (such as "Active")."""

    def in_language(language: str) -> str:
        with translation.override(language):
            return gettext(message) if isinstance(message, str) else str(message)

    text = in_language("fr")
    assert as_in_english or text != in_language("en"), f"not translated into French: {text!r}"
    return text % params if params else text


def tnd(amount: str) -> re.Pattern:
    """ "10,000 TND", whatever the space before the currency (a no-break one would do)."""
    return re.compile(rf"^{re.escape(amount)}\sTND$")


def identity_scan(folder: Path) -> Path:
    """A real PNG, as a phone or a scanner would send it."""
    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 630, 390), outline="darkred", width=6)
    draw.text((40, 40), f"REPUBLIQUE TUNISIENNE - CIN {CIN}", fill="black")
    draw.text((40, 80), f"{NEWCOMER['last_name']} {NEWCOMER['first_name']}", fill="black")
    path = folder / "cin.png"
    image.save(path, "PNG")
    return path


def web_page_named_like_a_photo(folder: Path) -> Path:
    path = folder / "fake" / "cin.jpg"
    path.parent.mkdir()
    path.write_text("<!doctype html><html><body><script>alert(1)</script></body></html>")
    return path


def continue_to(page: Page, step: str) -> None:
    page.locator("main form [type=submit]").last.click()
    page.wait_for_url(f"**{reverse('portal:subscribe_step', args=[step])}")


def open_account(page: Page) -> None:
    page.goto(reverse("portal:subscribe"))
    page.wait_for_url(f"**{reverse('portal:subscribe_account')}")
    for name, value in NEWCOMER.items():
        page.locator(f"#id_{name}").fill(value)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(f"**{reverse('portal:subscribe_step', args=['offer'])}")


def fill_offer_to_address(page: Page, offer: Offer, option: Option, boutique: Boutique) -> None:
    page.get_by_label(french("Individual"), exact=True).check()
    page.get_by_label(offer.name, exact=True).check()
    page.locator("#id_boutique").select_option(label=boutique.name)
    continue_to(page, "options")

    page.get_by_label(option.name, exact=True).check()
    continue_to(page, "identity")

    # The names of the account come back on the identity step.
    expect(page.locator("#id_first_name")).to_have_value(NEWCOMER["first_name"])
    expect(page.locator("#id_last_name")).to_have_value(NEWCOMER["last_name"])
    page.locator("#id_birth_date").fill("1990-05-17")
    page.locator("input[name=id_kind][value=cin]").check()
    page.locator("#id_cin").fill(CIN)
    continue_to(page, "address")

    page.locator("#id_street").fill("12 rue du Lac Windermere")
    page.locator("#id_postal_code").fill("1053")
    page.locator("#id_city").fill("Tunis")
    continue_to(page, "documents")


def expect_earlier_steps_kept(page: Page, file: SubscriptionFile, option: Option) -> None:
    nav = page.locator("main nav ol")
    for step in ("offer", "options", "identity", "address"):
        expect(
            nav.locator(f'a[href="{reverse("portal:subscribe_step", args=[step])}"]')
        ).to_have_count(1)
    file.refresh_from_db()
    assert file.draft["identity"]["cin"] == CIN
    assert file.draft["address"]["postal_code"] == "1053"
    assert list(file.options.all()) == [option]


def confirmation_link() -> str:
    # The live server's thread runs in this process, with the test environment's settings.
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    assert message.to == [NEWCOMER["email"]]
    links = re.findall(r"https?://\S+/confirm-email/\S+/", message.body)
    assert len(links) == 1, message.body
    return links[0]


def run_action(page: Page, file: SubscriptionFile, action: str) -> None:
    page.locator(f"input[name=_selected_action][value='{file.pk}']").check()
    page.locator("select[name=action]").select_option(action)
    page.locator("#changelist-form button[name=index]").click()
    page.wait_for_url(f"**{reverse(QUEUE)}")


def test_r3_1_r3_2_new_customer_subscribes_online_agent_activates_in_admin_customer_sees_line(
    page: Page,
    other_page: Page,
    grid,
    lac: Boutique,
    agent: User,
    tmp_path: Path,
    browser_errors: list[str],
    screenshot,
):
    MobileNumberFactory.create_batch(3)
    SimCardFactory.create_batch(2, boutique=lac)
    offer = Offer.objects.get(code="forfait-liberte-20")
    option = Option.objects.get(code="internet-10go")
    identity = RequiredDocument.objects.get(customer_kind="individual", code="identity")
    signed_form = RequiredDocument.objects.get(customer_kind="individual", code="signed_form")

    # 1. A newcomer opens an account, then goes through the steps.
    open_account(page)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    file = SubscriptionFile.objects.get(applicant__email=NEWCOMER["email"])
    assert file.status == SubscriptionFile.Status.DRAFT
    fill_offer_to_address(page, offer, option, lac)
    screenshot("documents")

    upload = page.locator(f"#id_piece_{identity.pk}")
    upload.set_input_files(web_page_named_like_a_photo(tmp_path))
    with page.expect_response(lambda response: response.request.method == "POST") as sent:
        page.locator("main form [type=submit]").last.click()
    assert sent.value.status == 200  # the same step again, with the error
    refusal = french(MESSAGES["unsupported_type"], megabytes=settings.UPLOAD_MAX_BYTES // 2**20)
    expect(page.locator("main form")).to_contain_text(refusal)
    expect(upload).to_have_class(re.compile(r"\bis-invalid\b"))
    assert page.url.endswith(reverse("portal:subscribe_step", args=["documents"]))
    expect_earlier_steps_kept(page, file, option)
    assert not file.pieces.exists()
    screenshot("documents-refused")

    upload.set_input_files(identity_scan(tmp_path))
    continue_to(page, "summary")
    piece = file.pieces.get()
    assert (piece.required_document, piece.content_type) == (identity, "image/png")
    assert piece.original_name == "cin.png"
    assert piece.document.read().startswith(b"\x89PNG\r\n\x1a\n")

    # 2. Not before the e-mail address is confirmed: the link comes by e-mail.
    summary = page.locator("main")
    expect(summary.locator(".alert-warning")).to_have_count(1)
    page.goto(confirmation_link())
    page.wait_for_url(f"**{reverse('portal:subscribe_step', args=['summary'])}")
    expect(summary.locator(".alert-success")).to_contain_text(
        french("Your e-mail address is confirmed.")
    )
    expect(summary.locator(".alert-warning")).to_have_count(0)
    prices = summary.locator("td.price")
    expect(prices.nth(0)).to_have_text(tnd("10,000"))  # the connection fee of the grid
    expect(prices.nth(1)).to_have_text(tnd("50,000"))  # the deposit of Forfait Liberté 20
    expect(summary.locator("dl")).to_contain_text(offer.name)
    expect(summary.locator("dl")).to_contain_text(option.name)
    expect(summary.locator("dl")).to_contain_text(CIN)
    expect(summary.locator("dl")).to_contain_text("1053 Tunis")
    page.locator("#id_accept_conditions").check()
    screenshot("summary")
    page.locator("main form [type=submit]").last.click()
    page.wait_for_url(f"**{reverse('portal:file_detail', args=[file.pk])}")

    file.refresh_from_db()
    assert file.status == SubscriptionFile.Status.RECEIVED
    expect(page.locator("#file-status")).to_have_text(
        french(SubscriptionFile.Status.RECEIVED.label)
    )
    expect(page.locator("main .alert-success")).to_contain_text(
        french("Your request is sent. Print the form, sign it and send it back.")
    )
    pieces = page.locator("main .list-group-item")
    expect(pieces.filter(has_text=signed_form.name)).to_have_class(re.compile(r"piece-missing"))
    expect(pieces.filter(has_text=signed_form.name)).to_contain_text(
        french(FilePiece.Status.MISSING.label)
    )
    expect(pieces.filter(has_text=identity.name)).to_contain_text(
        french(FilePiece.Status.UPLOADED.label)
    )
    with page.expect_download() as download_info:
        page.locator(f'a[href="{reverse("portal:file_form_pdf", args=[file.pk])}"]').click()
    download = download_info.value
    assert download.suggested_filename == f"formulaire-{file.reference}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    screenshot("file-received")

    # 3. The agent of the boutique checks the pieces, records the fee, accepts and activates.
    admin = other_page
    sign_in_to_admin(admin, agent)
    queue = admin.goto(reverse(QUEUE))
    # The back office runs under the portal's CSP too (no inline script anywhere).
    assert "script-src 'self'" in queue.headers["content-security-policy"]
    admin.locator("#result_list").get_by_role("link", name=file.reference).click()
    admin.wait_for_url(
        f"**{reverse('admin:subscriptions_subscriptionfile_change', args=[file.pk])}"
    )
    statuses = admin.locator("select[name^=pieces-][name$=-status]")
    expect(statuses).to_have_count(2)
    for status in statuses.all():
        status.select_option("received")
    screenshot("admin-pieces", of=admin)
    admin.locator("input[name=_save]").click()
    admin.wait_for_url(f"**{reverse(QUEUE)}")
    expect(admin.locator(".messagelist .error")).to_have_count(0)
    assert set(file.pieces.values_list("status", "reviewed_by")) == {("received", agent.pk)}
    file.refresh_from_db()
    assert file.status == SubscriptionFile.Status.INCOMPLETE  # the connection fee is not paid

    actions = admin.locator("select[name=action]")
    for action in ("record_connection_fee", "accept_and_activate"):
        label = french(getattr(SubscriptionFileAdmin, action).short_description)
        expect(actions.locator(f"option[value={action}]")).to_have_text(label)
    run_action(admin, file, "record_connection_fee")
    expect(admin.locator(".messagelist .success")).to_have_text(
        french("%(count)d file(s) updated.", count=1)
    )
    file.refresh_from_db()
    assert file.status == SubscriptionFile.Status.COMPLETE
    run_action(admin, file, "accept_and_activate")
    expect(admin.locator(".messagelist .success")).to_have_text(
        french("%(count)d line(s) activated.", count=1)
    )
    expect(admin.locator(".messagelist .error")).to_have_count(0)
    screenshot("admin-activated", of=admin)

    file.refresh_from_db()
    assert file.status == SubscriptionFile.Status.ACTIVE
    line = file.line
    assert line.offer == offer and line.status == line.Status.ACTIVE
    assert line.sim.boutique == lac
    assert line.number == MobileNumber.objects.order_by("msisdn").first()
    customer = Customer.objects.get(user__email=NEWCOMER["email"])
    assert (customer.cin, customer.boutique) == (CIN, lac)

    # 4. The customer sees the line on the follow page and on the dashboard.
    page.reload()
    expect(page.locator("#file-status")).to_have_text(french(SubscriptionFile.Status.ACTIVE.label))
    expect(page.locator("main .alert-success")).to_contain_text(line.number.msisdn)
    screenshot("file-active")
    page.locator(f'nav a[href="{reverse("portal:dashboard")}"]').click()
    page.wait_for_url(f"**{reverse('portal:dashboard')}")
    row = page.locator("main table tbody tr").filter(has_text=line.number.msisdn)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(offer.name)
    expect(row).to_contain_text(option.name)
    expect(row).to_contain_text(french(line.Status.ACTIVE.label, as_in_english=True))
    screenshot("dashboard")

    assert browser_errors == []
