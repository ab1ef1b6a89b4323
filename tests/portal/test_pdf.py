"""Documents rendered by WeasyPrint (lib/pdf.py): the fonts and the stylesheet loaded once per
thread give the same document as a first render, nothing but static files is fetched, and the
documents' own user-agent stylesheet gives the pixels of WeasyPrint's full one."""

import shutil
import subprocess
import threading
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.db import connection
from PIL import Image, ImageChops
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from billing.documents import invoice_pdf_document
from billing.invoicing import invoices_issue
from billing.models import Invoice
from lib.pdf import STATIC_BASE, DocumentHTML, StaticFilesFetcher

DOCUMENT_FILES = sorted(
    STATIC_BASE + name
    for name in (
        "css/documents.css",
        "fonts/NotoSans-Regular.ttf",
        "fonts/NotoSans-Bold.ttf",
        "fonts/NotoNaskhArabic-Regular.ttf",
        "fonts/NotoNaskhArabic-Bold.ttf",
    )
)


@pytest.fixture
def fetched(monkeypatch) -> list[str]:
    """Every URL the documents' fetcher is asked for, by any thread (then fetched as usual)."""
    urls = []
    fetch = StaticFilesFetcher.fetch

    def recording_fetch(self, url, headers=None):
        urls.append(url)
        return fetch(self, url, headers)

    monkeypatch.setattr(StaticFilesFetcher, "fetch", recording_fetch)
    return urls


def in_a_new_thread(action):
    """`action()` in a thread that has never rendered: the first document it renders loads its
    own font configuration and stylesheet."""
    results, errors = [], []

    def run():
        try:
            results.append(action())
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not errors, errors
    return results[0]


def pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> set[str]:
    """The names of the font programs embedded in the PDF, on every page."""
    names = set()
    for page in PdfReader(BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if "/FontFile2" in descriptor:
                names.add(str(font["/BaseFont"]).split("+", 1)[1])
    return names


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["fr", "ar"])
def test_first_and_later_renders_give_the_same_invoice_from_static_files_only(
    alice, fetched, language
):
    invoice = Invoice.objects.get(contract__customer=alice, period_start=date(2026, 3, 1))
    invoice.language = language

    def first_then_second() -> tuple[bytes, list[str], bytes]:
        first = invoice_pdf_document(invoice)
        loaded = list(fetched)
        return first, loaded, invoice_pdf_document(invoice)

    first, loaded, second = in_a_new_thread(first_then_second)
    # The first render loads the stylesheet and its four fonts from static/, nothing else; the
    # second reuses them and fetches nothing.
    assert sorted(loaded) == DOCUMENT_FILES
    assert len(fetched) == len(loaded)
    assert second == first
    assert pdf_text(second) == pdf_text(first)
    assert invoice.number in pdf_text(first)
    fonts = embedded_fonts(first)
    assert {"Noto-Sans", "Noto-Sans-Bold"} <= fonts
    assert ("Noto-Naskh-Arabic" in fonts) is (language == "ar")

    # Another thread, already warm or not, renders the same bytes.
    assert invoice_pdf_document(invoice) == first


@pytest.mark.parametrize(
    "reference",
    [
        '<img src="https://example.com/logo.png">',
        '<img src="file:///etc/hostname">',
        '<img src="../../../etc/hostname">',
        '<link rel="stylesheet" href="http://127.0.0.1:8000/static/css/portal.css">',
    ],
)
def test_a_document_fetches_nothing_but_the_portals_static_files(reference):
    html = HTML(
        string=f"<p>{reference}</p>", base_url=STATIC_BASE, url_fetcher=StaticFilesFetcher()
    )
    with pytest.raises(FatalURLFetchingError):
        html.write_pdf()


def test_the_fetcher_reads_static_files_from_disk():
    response = StaticFilesFetcher().fetch(STATIC_BASE + "css/documents.css")
    assert response.headers["Content-Type"] == "text/css"
    assert b"@font-face" in response.read()


def pages_and_text(pdf: bytes, folder: Path, name: str) -> tuple[list[Image.Image], str]:
    """The PDF's pages as images at 100 dpi (poppler's pdftoppm) and its text (pdftotext)."""
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.fail(f"Debian's poppler-utils is not installed ({tool}): make system-packages")
    subprocess.run(  # noqa: S603
        [shutil.which("pdftoppm"), "-png", "-r", "100", path, folder / name], check=True
    )
    text = subprocess.run(  # noqa: S603
        [shutil.which("pdftotext"), "-layout", path, "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    images = [Image.open(png).convert("RGB") for png in sorted(folder.glob(f"{name}-*.png"))]
    return images, text


def assert_same_as_with_weasyprints_own_ua_stylesheet(render, monkeypatch, folder: Path) -> None:
    """`render()` gives the same pages, pixel for pixel, and the same text with the documents'
    user-agent stylesheet as with WeasyPrint's full html5_ua.css."""
    ours = render()
    with monkeypatch.context() as patched:
        patched.setattr(DocumentHTML, "_ua_stylesheets", HTML._ua_stylesheets)
        reference = render()
    our_pages, our_text = pages_and_text(ours, folder, "ours")
    reference_pages, reference_text = pages_and_text(reference, folder, "reference")
    assert our_text == reference_text
    assert our_text.strip()
    assert len(our_pages) == len(reference_pages) >= 1
    for ours_page, reference_page in zip(our_pages, reference_pages, strict=True):
        assert ours_page.size == reference_page.size
        assert ImageChops.difference(ours_page, reference_page).getbbox() is None
        assert ours_page.convert("L").getextrema()[0] < 128  # not a blank page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_detailed_bill_with_its_usage_is_unchanged_by_the_documents_ua_stylesheet(
    grid, monkeypatch, tmp_path, language
):
    from bench.pdfs import PERIOD, _accounts

    [contract_id] = _accounts(1)  # the bench's invoice: 40 usage records, one page
    [invoice] = invoices_issue(
        contract_ids=[contract_id], period=PERIOD, issued_on=PERIOD.end + timedelta(days=1)
    )
    invoice.language = language
    assert_same_as_with_weasyprints_own_ua_stylesheet(
        lambda: invoice_pdf_document(invoice, detailed=True), monkeypatch, tmp_path
    )


def test_a_letter_with_a_list_is_unchanged_by_the_documents_ua_stylesheet(
    alice, monkeypatch, tmp_path
):
    from terminations.notices import termination_letter_pdf
    from tests.terminations.test_customer_terminations import prepare

    request = prepare(alice)
    assert_same_as_with_weasyprints_own_ua_stylesheet(
        lambda: termination_letter_pdf(request), monkeypatch, tmp_path
    )
