"""The invoice PDF (R9.3 and what a Tunisian invoice shows), rendered once and stored; its
e-mail, sent once; the customer's invoice pages (R6.5: their own invoices only)."""

import html
import re
import subprocess
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image
from pypdf import PdfReader
from time_machine import travel

import billing.documents
from billing.documents import invoice_email_send, invoice_pdf_name, invoice_pdf_render
from billing.invoicing import Period, invoice_issue
from billing.models import Invoice
from billing.tasks import render_and_send_invoice
from lib.money import format_tnd
from tests.billing.helpers import (
    flat,
    march_invoice,
    pdf_bytes,
    pdf_text,
    poppler,
    words,
)
from tests.frozen_rows import rewriting_history

# Each test stores its PDFs in its own directory (tests/billing/conftest.py).
pytestmark = pytest.mark.usefixtures("private_storage")

APRIL = Period.month(date(2026, 4, 1))


def issue_april(customer) -> Invoice:
    return invoice_issue(
        contract_id=customer.contracts.get().pk, period=APRIL, issued_on=date(2026, 5, 1)
    )


def money(amount, language="fr") -> str:
    with translation.override(language):
        return flat(format_tnd(amount))


# --- The document -----------------------------------------------------------------------------


def test_r9_3_pdf_shows_the_invoice_the_customer_the_lines_and_the_due_date(alice):
    invoice = invoice_pdf_render(march_invoice(alice))
    text = pdf_text(invoice)

    operator = settings.OPERATOR
    for expected in (operator["name"], operator["address"], operator["tax_id"]):
        assert flat(expected) in text
    assert invoice.number in text
    assert invoice.customer_name == "Alice Ben Ali" and invoice.customer_name in text
    assert invoice.customer_identity and invoice.customer_identity in text
    assert flat(invoice.customer_address) in text
    assert "01/04/2026" in text  # issue date
    assert "01/03/2026 \N{EN DASH} 31/03/2026" in text  # period
    assert "16/04/2026" in text  # R9.3: due date = issue date + 15 days
    lines = list(invoice.lines.all())
    assert lines
    for line in lines:
        assert flat(line.label) in text
        assert money(line.amount_excl_tax) in text


def test_r9_1_pdf_shows_totals_vat_and_stamp_duty(alice):
    invoice = invoice_pdf_render(march_invoice(alice))
    text = pdf_text(invoice)
    assert "TVA 19 %" in text or "VAT 19 %" in text
    for amount in (
        invoice.total_excl_tax,
        invoice.vat_amount,
        invoice.stamp_duty,
        invoice.total_incl_tax,
    ):
        assert money(amount) in text


def test_r10_1_pdf_shows_the_means_of_payment_and_the_remaining_commitment(alice):
    invoice = invoice_pdf_render(march_invoice(alice))
    text = pdf_text(invoice)
    assert invoice.commitment_ends_on and invoice.commitment_ends_on > invoice.period_end
    assert invoice.commitment_ends_on.strftime("%d/%m/%Y") in text
    with translation.override("fr"):
        cash = translation.gettext(
            "In cash or by cheque, in any of our boutiques, quoting this invoice's number."
        )
    assert flat(cash) in text


def font_files(pdf: bytes) -> list[str]:
    """The embedded font programs of page 1, by font name."""
    fonts = PdfReader(BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    embedded = []
    for font in fonts.values():
        font = font.get_object()
        descendants = font.get("/DescendantFonts")
        descriptor = (descendants[0].get_object() if descendants else font)["/FontDescriptor"]
        if "/FontFile2" in descriptor:
            embedded.append(str(font["/BaseFont"]))
    return embedded


def test_arabic_invoice_is_right_to_left_with_arabic_text_and_embedded_fonts(alice):
    alice.user.language = "ar"
    alice.user.save(update_fields=["language"])
    invoice = invoice_pdf_render(issue_april(alice))
    assert invoice.language == "ar"
    pdf = pdf_bytes(invoice)

    text = pdf_text(invoice)
    assert re.search("[\u0600-\u06ff]", text), "no Arabic character in the PDF's text"
    assert "فاتورة" in text  # "Invoice", from the Arabic catalogue
    assert invoice.number in text
    embedded = font_files(pdf)
    assert any("Noto-Naskh-Arabic" in name for name in embedded), embedded
    assert any("Noto-Sans" in name for name in embedded), embedded
    # Only the fonts of static/fonts: no glyph (isolates, figure spaces) fell back to a system font.
    assert all("Noto-Sans" in name or "Noto-Naskh-Arabic" in name for name in embedded), embedded

    # Right to left: the heading (invoice number, dates) is the first column, on the right half
    # of the page in Arabic, on the left half in French.
    path = Path(invoice.pdf.path)
    half = float(PdfReader(path).pages[0].mediabox.width) / 2
    assert min(w.x_min for w in words(path) if w.text == invoice.number) > half
    french = invoice_pdf_render(march_invoice(alice))
    assert french.language == "fr"
    in_french = words(Path(french.pdf.path))
    assert max(w.x_min for w in in_french if w.text == french.number) < half


def test_first_page_renders_to_a_png_that_is_not_blank(alice, tmp_path):
    invoice = invoice_pdf_render(march_invoice(alice))
    subprocess.run(  # noqa: S603
        [
            poppler("pdftoppm"),
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            invoice.pdf.path,
            tmp_path / "p",
        ],
        check=True,
    )
    [png] = tmp_path.glob("p-*.png")
    image = Image.open(png).convert("L")
    assert image.size[0] > 300  # A4 at 50 dpi: 413 x 585
    dark = sum(image.histogram()[:128])
    assert dark > 1000, "page 1 is blank"


def test_rendering_twice_keeps_the_stored_file(alice, private_storage):
    invoice = march_invoice(alice)
    assert not invoice.pdf
    first = invoice_pdf_render(invoice)
    assert first.pdf.name == invoice_pdf_name(invoice) == "invoices/2026/F2026-000001.pdf"
    stored = pdf_bytes(first)
    assert stored.startswith(b"%PDF-")

    again = invoice_pdf_render(Invoice.objects.get(pk=invoice.pk))
    assert again.pdf.name == first.pdf.name
    assert pdf_bytes(again) == stored
    assert [p.name for p in (private_storage / "invoices").rglob("*")] == [
        "2026",
        "F2026-000001.pdf",
    ]


def test_a_stale_invoice_object_does_not_render_again(alice, private_storage):
    stale = march_invoice(alice)
    fresh = invoice_pdf_render(march_invoice(alice))
    assert not stale.pdf
    assert invoice_pdf_render(stale).pdf.name == fresh.pdf.name
    assert len(list((private_storage / "invoices").rglob("*.pdf"))) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_renders_at_once_store_one_file(alice, private_storage, monkeypatch):
    """Both render (neither holds a lock while rendering); the first to claim keeps its file,
    the other deletes its own."""
    invoice_id = march_invoice(alice).pk
    render = billing.documents.render_pdf
    both_rendered = threading.Barrier(2, timeout=30)

    def render_then_wait(*args, **kwargs):
        pdf = render(*args, **kwargs)
        both_rendered.wait()  # so that both have rendered before either stores
        return pdf

    monkeypatch.setattr(billing.documents, "render_pdf", render_then_wait)
    names, errors = [], []

    def run():
        try:
            names.append(invoice_pdf_render(Invoice.objects.get(pk=invoice_id)).pdf.name)
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    stored = Invoice.objects.get(pk=invoice_id).pdf.name
    assert names == [stored, stored]
    invoices = private_storage / "invoices"
    assert [p.relative_to(private_storage).as_posix() for p in invoices.rglob("*.pdf")] == [stored]


def test_an_invoice_of_a_month_without_usage_beyond_allowances_fits_on_one_page(alice):
    """The figure of its rendering time is `make bench`'s pdf_invoice_ms; tests assert no timing."""
    invoice = march_invoice(alice)
    invoice_pdf_render(invoice)
    assert len(PdfReader(BytesIO(pdf_bytes(invoice))).pages) == 1


# --- The e-mail -------------------------------------------------------------------------------


def invoice_attachments(message) -> list[tuple[str, bytes, str]]:
    return [a for a in message.attachments if a[2] == "application/pdf"]


def test_issuing_an_invoice_emails_its_pdf_once_even_when_the_task_runs_twice(
    alice, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice = issue_april(alice)
    assert len(callbacks) == 1
    render_and_send_invoice.delay(invoice.pk)  # a retry, or the task delivered twice

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.tn"]
    assert invoice.number in message.subject
    [(name, content, _)] = invoice_attachments(message)
    invoice.refresh_from_db()
    assert name == f"facture-{invoice.number}.pdf"
    assert content == pdf_bytes(invoice)
    assert invoice.emailed_at is not None
    assert money(invoice.total_incl_tax) in flat(message.body)
    assert "16/05/2026" in message.body  # R9.3


def test_a_failed_sending_gives_the_claim_back_and_the_retry_sends(alice, settings):
    invoice = march_invoice(alice)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(OSError):
        invoice_email_send(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.emailed_at is None
    assert invoice.pdf  # the PDF stays: the retry does not render it again

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    assert invoice_email_send(invoice_id=invoice.pk) is True
    assert invoice_email_send(invoice_id=invoice.pk) is False
    assert len(mail.outbox) == 1
    assert len(invoice_attachments(mail.outbox[0])) == 1


def test_customer_without_an_email_address_gets_no_mail_but_a_pdf(alice):
    alice.email, alice.user = "", None
    alice.save(update_fields=["email", "user"])
    invoice = march_invoice(alice)
    mail.outbox = []
    assert render_and_send_invoice.delay(invoice.pk).get() is False
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.emailed_at is None
    assert mail.outbox == []


def test_customer_email_is_preferred_to_the_portal_accounts(alice):
    alice.email = "factures@alice.tn"
    alice.save(update_fields=["email"])
    mail.outbox = []
    assert invoice_email_send(invoice_id=march_invoice(alice).pk) is True
    assert mail.outbox[0].to == ["factures@alice.tn"]


def test_arabic_invoice_email_is_in_arabic(alice):
    alice.user.language = "ar"
    alice.user.save(update_fields=["language"])
    invoice = issue_april(alice)
    mail.outbox = []
    invoice_email_send(invoice_id=invoice.pk)
    [message] = mail.outbox
    assert "مرحبًا" in message.body
    html = message.alternatives[0][0]
    assert 'dir="rtl"' in html


# --- The customer's pages ---------------------------------------------------------------------


def signed_in(customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


def test_invoice_pdf_downloads_as_an_attachment_and_renders_on_first_request(alice):
    invoice = march_invoice(alice)
    assert not invoice.pdf
    response = signed_in(alice).get(reverse("portal:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="facture-{invoice.number}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    invoice.refresh_from_db()
    assert invoice.pdf
    assert body == pdf_bytes(invoice)


@pytest.mark.parametrize("attacker", ["bob", "stranger", "agent"])
def test_r6_5_another_customers_invoice_pdf_answers_404(request, alice, attacker):
    """Also covered for every object URL by tests/portal/test_object_access.py."""
    invoice = march_invoice(alice)
    persona = request.getfixturevalue(attacker)
    client = Client()
    client.force_login(getattr(persona, "user", persona))
    assert client.get(reverse("portal:invoice_pdf", args=[invoice.pk])).status_code == 404
    invoice.refresh_from_db()
    assert not invoice.pdf  # not even rendered for them


def test_r9_3_invoice_list_is_due_then_overdue_after_the_due_date_and_paid_once_settled(alice, bob):
    april = issue_april(alice)  # unpaid, due 16/05/2026
    client = signed_in(alice)
    with travel(timezone.make_aware(datetime(2026, 5, 10, 12, 0)), tick=False):
        page = client.get(reverse("portal:invoice_list"))
    assert page.status_code == 200
    rows = {invoice.number: invoice.status for invoice in page.context["invoices"]}
    # The March invoice is paid in the persona fixture; April is not yet due.
    assert rows == {march_invoice(alice).number: "paid", april.number: "due"}
    assert march_invoice(bob).number not in page.content.decode()
    assert reverse("portal:invoice_pdf", args=[april.pk]) in page.content.decode()

    with travel(timezone.make_aware(datetime(2026, 5, 17, 12, 0)), tick=False):
        page = client.get(reverse("portal:invoice_list"))
    assert {invoice.number: invoice.status for invoice in page.context["invoices"]}[
        april.number
    ] == "overdue"


def test_dashboard_links_to_the_invoices(client, alice):
    page = signed_in(alice).get(reverse("portal:dashboard"))
    assert reverse("portal:invoice_list") in page.content.decode()


def test_invoice_list_query_count_is_the_same_with_1_and_20_invoices(
    alice, django_assert_max_num_queries
):
    client = signed_in(alice)
    url = reverse("portal:invoice_list")
    # Session, user, customer, the invoices with what is paid on them, the accounts' balances.
    with django_assert_max_num_queries(5):
        one = client.get(url)
    assert len(one.context["invoices"]) == 1
    contract_id = alice.contracts.get().pk
    for month in range(4, 23):  # April 2026 to October 2027
        start = date(2026 + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        invoice_issue(contract_id=contract_id, period=Period.month(start), issued_on=start)
    with django_assert_max_num_queries(5):
        many = client.get(url)
    assert len(many.context["invoices"]) == 20


def test_r9_5_the_detailed_bill_lists_the_usage_of_the_period_the_invoice_sums_it(grid):
    from billing.documents import invoice_pdf_document, invoice_pdf_render
    from tests.billing.helpers import account, issue, usage_import

    line = account()
    usage_import(
        name="detail.csv",
        content=(
            "msisdn,started_at,kind,destination,quantity\n"
            f"{line.number.msisdn},2026-10-03T14:05:00,international,europe,3\n"
        ).encode(),
    )
    invoice = invoice_pdf_render(issue(line))
    text = "".join(page.extract_text() for page in PdfReader(invoice.pdf.open("rb")).pages)
    assert "Appels internationaux" in text  # the invoice bills the usage by kind and price
    assert "03/10 14:05" not in text and "europe" not in text  # not call by call
    detailed = invoice_pdf_document(invoice, detailed=True)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(detailed)).pages)
    assert "Facture détaillée" in text
    assert "03/10 14:05" in text and "europe" in text  # the period gives the year


def test_r11_2_the_invoice_pdf_shows_the_advance_deducted(grid, agent):
    import time_machine

    from billing.credit import advance_payment_record, credit_control_sweep
    from billing.documents import invoice_pdf_render
    from billing.invoicing import Period
    from tests.billing.helpers import account, issue

    line = account()
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    (request,) = credit_control_sweep(today=date(2026, 10, 20))
    with time_machine.travel(date(2026, 10, 20), tick=False):
        advance_payment_record(request=request, amount="10.000", method="cash", actor=agent)
    invoice = invoice_pdf_render(issue(line))
    text = "".join(page.extract_text() for page in PdfReader(invoice.pdf.open("rb")).pages)
    assert "24,800" in text and "14,800" in text


# --- The invoice adds up as printed -----------------------------------------------------------


def at(*args: int) -> datetime:
    """An instant in local time (Africa/Tunis)."""
    return timezone.make_aware(datetime(*args))


def page_text(pdf: Path) -> str:
    """Page 1's text as poppler's pdftotext reads it, spaces flattened."""
    return flat(html.unescape(" ".join(word.text for word in words(pdf))))


AMOUNT = r"(\d{1,3}(?: \d{3})*,\d{3}) TND"


def amount_in(pattern: str, text: str) -> Decimal:
    """The amount (French format, "1 234,567 TND") that follows `pattern` in `text`."""
    found = re.search(pattern + " " + AMOUNT, text)
    assert found, f"{pattern!r} followed by an amount is not in {text!r}"
    return Decimal(found.group(1).replace(" ", "").replace(",", "."))


def invoice_with_advance(agent, advance: str) -> Invoice:
    """The October 2026 invoice (24,800 TND incl. tax) of an account that paid `advance` on
    20/10/2026, asked for its late September invoice (R11.2)."""
    from billing.credit import advance_payment_record, credit_control_sweep
    from tests.billing.helpers import account, issue

    with travel(at(2026, 9, 1, 10, 0), tick=False):
        line = account(activated=datetime(2026, 9, 1, 10, 0))
    with travel(at(2026, 10, 1, 8, 0), tick=False):
        issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))  # due 16/10, unpaid
    with travel(at(2026, 10, 20, 9, 0), tick=False):
        (request,) = credit_control_sweep(today=date(2026, 10, 20))
        advance_payment_record(request=request, amount=advance, method="cash", actor=agent)
    with travel(at(2026, 11, 1, 8, 0), tick=False):
        invoice = issue(line)
    assert invoice.total_incl_tax == Decimal("24.800")
    return invoice


def test_r11_2_the_payment_sentence_names_the_amount_due_after_the_advance(grid, agent):
    invoice = invoice_with_advance(agent, "10.000")
    with travel(at(2026, 11, 1, 8, 5), tick=False):
        invoice_pdf_render(invoice)
    text = page_text(Path(invoice.pdf.path))

    total = amount_in("Total TTC", text)
    deducted = amount_in("Avance déduite -", text)
    left = amount_in("Reste à payer", text)
    asked = amount_in("Merci de régler", text)
    assert (total, deducted) == (invoice.total_incl_tax, Decimal("10.000"))
    assert left == total - deducted == Decimal("14.800")
    assert asked == left  # the sentence asks for what is left, not the total
    assert "Merci de régler 14,800 TND au plus tard le 16/11/2026" in text
    assert invoice.amount_due == Decimal("14.800")

    mail.outbox = []
    with travel(at(2026, 11, 1, 8, 6), tick=False):
        assert invoice_email_send(invoice_id=invoice.pk)
    body = flat(mail.outbox[0].body)
    assert "Merci de régler 14,800 TND au plus tard le" in body
    assert "Total TTC : 24,800 TND ; avances déduites : 10,000 TND." in body
    assert "régler 24,800" not in body
    assert "régler 14,800" in flat(mail.outbox[0].alternatives[0][0])


def test_r11_2_the_arabic_email_asks_for_the_amount_due(grid, agent):
    invoice = invoice_with_advance(agent, "10.000")
    user = invoice.contract.customer.user
    user.language = "ar"
    user.save(update_fields=["language"])
    with rewriting_history():
        Invoice.objects.filter(pk=invoice.pk).update(language="ar")
    mail.outbox = []
    with travel(at(2026, 11, 1, 8, 6), tick=False):
        assert invoice_email_send(invoice_id=invoice.pk)
    body = flat(mail.outbox[0].body)
    assert f"يُرجى خلاص {money('14.800', 'ar')} في أجل أقصاه" in body
    assert money("24.800", "ar") not in body.split("يُرجى خلاص")[1]


def test_r11_2_an_invoice_its_advance_covers_asks_for_nothing(grid, agent):
    invoice = invoice_with_advance(agent, "30.000")
    assert invoice.amount_due == Decimal("0.000")
    with travel(at(2026, 11, 1, 8, 5), tick=False):
        invoice_pdf_render(invoice)
    text = page_text(Path(invoice.pdf.path))
    assert amount_in("Avance déduite -", text) == invoice.total_incl_tax
    assert amount_in("Reste à payer", text) == Decimal("0.000")
    assert "Il ne reste rien à payer : les avances déduites couvrent cette facture." in text
    assert "Merci de régler" not in text


def test_r11_2_arabic_invoice_amount_due_lines_up_with_the_other_totals(grid, agent):
    """The bold totals (total incl. tax, left to pay) sit in the end-side column in Arabic too,
    under the other amounts, not half a page away."""
    invoice = invoice_with_advance(agent, "10.000")
    with rewriting_history():
        Invoice.objects.filter(pk=invoice.pk).update(language="ar")
    invoice.refresh_from_db()
    with travel(at(2026, 11, 1, 8, 5), tick=False):
        invoice_pdf_render(invoice)
    boxes = words(Path(invoice.pdf.path))

    def right_edges(amount: str) -> list[float]:
        return [w.x_max for w in boxes if w.text == amount]

    (column,) = right_edges("3,800")  # VAT: the amounts' column
    for amount in ("24,800", "10,000", "14,800"):  # total incl. tax, advance, left to pay
        assert min(abs(edge - column) for edge in right_edges(amount)) < 3, amount


PRORATED = re.compile(
    r"\((\d\d)/(\d\d) - (\d\d)/(\d\d) : (\d+) jours / (\d+) × " + AMOUNT + r"\) " + AMOUNT
)


def money_value(text: str) -> Decimal:
    return Decimal(text.replace(" ", "").replace(",", "."))


def prorated_lines(text: str) -> list[dict]:
    """Each printed "(start - end : days / month days × fee) amount" of the text."""
    return [
        {
            "start": (int(m[1]), int(m[2])),
            "end": (int(m[3]), int(m[4])),
            "days": int(m[5]),
            "month_days": int(m[6]),
            "fee": money_value(m[7]),
            "amount": money_value(m[8]),
        }
        for m in PRORATED.finditer(text)
    ]


# The 17th to the end of a month of 31, 30 and 28 days: 15, 14 and 12 days; the option from
# the 20th: 12, 11 and 9 days. A share rounded to a quantity would print 0.484 × 45.000 (21.780)
# for 15/31 × 45.000 = 21.774.
MONTHS = [date(2026, 10, 1), date(2026, 11, 1), date(2027, 2, 1)]


def prorated_invoice(month: date, language: str = "fr") -> tuple[Invoice, str]:
    """The month's invoice of a Forfait Pro 45 line activated on the 17th with the unlimited
    calls to Morocco option (25.000 a month) from the 20th, rendered; its page text."""
    from catalogue.models import Option
    from subscriptions.models import LineOption
    from tests.billing.helpers import account, issue

    activated = datetime(month.year, month.month, 17, 10, 0)
    with travel(at(month.year, month.month, 17, 10, 0), tick=False):
        line = account("forfait-pro-45", activated=activated)
        LineOption.objects.create(
            line=line,
            option=Option.objects.get(code="maroc-illimite-mois"),
            started_on=month.replace(day=20),
        )
        line.contract.customer.user.language = language
        line.contract.customer.user.save(update_fields=["language"])
    period = Period.month(month)
    issued_on = period.end + timedelta(days=1)
    with travel(at(issued_on.year, issued_on.month, 1, 8, 0), tick=False):
        invoice = issue(line, period, issued_on)
        invoice_pdf_render(invoice)
    return invoice, page_text(Path(invoice.pdf.path))


def assert_adds_up(printed: dict, month: date, first_day: int, fee: str) -> None:
    from calendar import monthrange

    from lib.money import tnd

    last_day = monthrange(month.year, month.month)[1]
    assert printed["start"] == (first_day, month.month)
    assert printed["end"] == (last_day, month.month)
    assert printed["days"] == last_day - first_day + 1  # days used
    assert printed["month_days"] == last_day  # days in the month
    assert printed["fee"] == Decimal(fee)
    computed = tnd(printed["fee"] * printed["days"] / printed["month_days"])
    assert printed["amount"] == computed  # the computation printed gives the amount printed


@pytest.mark.parametrize("month", MONTHS, ids=["31-days", "30-days", "february"])
def test_r9_1_a_prorated_fee_prints_the_computation_that_gives_its_amount(grid, month):
    invoice, text = prorated_invoice(month)
    fee_line = invoice.lines.get(kind="subscription")
    printed = [p for p in prorated_lines(text) if p["start"][0] == 17]
    assert len(printed) == 1, text
    assert_adds_up(printed[0], month, 17, "45.000")
    assert printed[0]["amount"] == fee_line.amount_excl_tax
    # Stored as printed: one unit at the amount, never a rounded share that multiplies to
    # another figure (the admin and the credit notes show these fields).
    assert (fee_line.quantity, fee_line.unit_price) == (1, fee_line.amount_excl_tax)
    assert not re.search(r"\d,\d{3} × ", text)  # no rounded share as a quantity ("0,484 × ")


@pytest.mark.parametrize("month", MONTHS, ids=["31-days", "30-days", "february"])
def test_r9_2_an_option_prorated_by_day_prints_the_computation_that_gives_its_amount(grid, month):
    invoice, text = prorated_invoice(month)
    option_line = invoice.lines.get(kind="option")
    printed = [p for p in prorated_lines(text) if p["start"][0] == 20]
    assert len(printed) == 1, text
    assert_adds_up(printed[0], month, 20, "25.000")
    assert printed[0]["amount"] == option_line.amount_excl_tax
    assert (option_line.quantity, option_line.unit_price) == (1, option_line.amount_excl_tax)
    # The invoice adds up as printed: the lines' amounts make the total excl. tax.
    lines = [p["amount"] for p in prorated_lines(text)]
    assert amount_in("Total HT", text) == sum(lines) == invoice.total_excl_tax


def test_r9_1_an_arabic_prorated_fee_says_its_computation_and_keeps_the_number_in_order(grid):
    invoice, _ = prorated_invoice(date(2026, 10, 1), language="ar")
    fee_line = invoice.lines.get(kind="subscription")
    with translation.override("ar"):
        fee = format_tnd(Decimal("45.000"))
    assert fee_line.label.endswith(f"(17/10 - 31/10: 15 يومًا / 31 × {fee})")
    assert fee_line.label.startswith("باقة المهنيين 45")  # the offer's Arabic name
    assert fee_line.amount_excl_tax == Decimal("21.774")  # 45.000 × 15 / 31
    # Right to left, the international number still reads "+216...", its "+" in front.
    msisdn = fee_line.line.number.msisdn
    assert msisdn in [w.text for w in words(Path(invoice.pdf.path))]
