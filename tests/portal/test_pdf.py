"""Documents rendered by WeasyPrint (lib/pdf.py): the fonts and the stylesheet loaded once per
thread give the same document as a first render, and nothing but static files is fetched."""

import threading
from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from billing.documents import invoice_pdf_document
from billing.models import Invoice
from lib.pdf import STATIC_BASE, StaticFilesFetcher

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
