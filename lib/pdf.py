"""PDF documents from ordinary templates, rendered by WeasyPrint.

The renderer reads nothing but the project's own static files (fonts, CSS, images), from disk:
every other URL is refused, so a document never fetches anything from the network.

The documents' stylesheet and the fonts it declares are parsed and loaded once per thread and
reused by every later document: a new font configuration copies the four TTF fonts to a
temporary folder and loads them into fontconfig, which with the stylesheet's parsing cost
about five blank pages per document. They are per thread because WeasyPrint's font
configuration (fontconfig and Pango objects) is not safe to share between threads; a Celery
worker process renders in one thread. A changed stylesheet is read again when the process
restarts, as templates are with Django's cached template loader.

Documents are styled over a user-agent stylesheet of their own (DocumentHTML): WeasyPrint's
html5_ua.css holds some two hundred rules that every element is matched against; the documents'
one holds only the rules of the elements their templates use, copied unchanged, so a document's
pixels are the same (tests/portal/test_pdf.py) and its styles cost less to compute. The PDF's
zlib level stays pydyf's (9, not an option): compression is under 2 % of an invoice's time.
"""

import functools
import mimetypes
import threading
from pathlib import Path
from typing import cast

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_BASE = "file:///portal-static/"
# Every document's stylesheet; templates/pdf/base.html does not link it, render_pdf() passes it.
DOCUMENT_STYLESHEETS = ("css/documents.css",)
# The documents' user-agent stylesheet (static/css/documents-ua.css), in place of html5_ua.css.
DOCUMENT_UA_STYLESHEET = "css/documents-ua.css"


class StaticFilesFetcher(URLFetcher):
    def __init__(self) -> None:
        super().__init__(fail_on_errors=True)

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if not url.startswith(STATIC_BASE):
            raise ValueError(f"A document may only use the portal's static files, not {url}")
        relative = url.removeprefix(STATIC_BASE).split("?")[0]
        found = finders.find(relative)
        if not found:
            raise ValueError(f"No static file {relative}")
        content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=Path(found).read_bytes(), headers={"Content-Type": content_type}
        )


class _Renderer(threading.local):
    """This thread's font configuration, the stylesheets parsed with it and its URL fetcher (a
    new one builds a urllib opener and its handlers, about a millisecond: it holds nothing of a
    document)."""

    def __init__(self) -> None:
        self.font_config = FontConfiguration()
        self.stylesheets: dict[str, CSS] = {}
        self.fetcher = StaticFilesFetcher()

    def stylesheet(self, name: str) -> CSS:
        if name not in self.stylesheets:
            # The @font-face rules load their fonts into this font configuration, here, once.
            self.stylesheets[name] = CSS(
                url=STATIC_BASE + name,
                url_fetcher=self.fetcher,
                font_config=self.font_config,
            )
        return self.stylesheets[name]


_renderer = _Renderer()


@functools.cache
def document_ua_stylesheet() -> CSS:
    """Parsed once per process; like WeasyPrint's own, it is read-only and shared by threads."""
    path = cast(str, finders.find(DOCUMENT_UA_STYLESHEET))  # shipped in static/: always found
    return CSS(string=Path(path).read_text(encoding="utf-8"))


class DocumentHTML(HTML):
    """An HTML document styled over the documents' user-agent stylesheet (see above)."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        if forms:  # no document has form fields; one that had would need their rules too
            return super()._ua_stylesheets(forms=True)
        return [document_ua_stylesheet()]


def render_pdf(
    template_name: str,
    context: dict,
    *,
    language: str = "fr",
    stylesheets: tuple[str, ...] = DOCUMENT_STYLESHEETS,
) -> bytes:
    """Render `template_name` in `language` to PDF bytes, styled by `stylesheets` (static file
    names); static files are referred to by relative paths (`fonts/NotoSans-Regular.ttf`)."""
    with translation.override(language):
        html = render_to_string(template_name, {**context, "LANGUAGE_CODE": language})
    document = DocumentHTML(string=html, base_url=STATIC_BASE, url_fetcher=_renderer.fetcher)
    return document.write_pdf(
        stylesheets=[_renderer.stylesheet(name) for name in stylesheets],
        font_config=_renderer.font_config,
    )
