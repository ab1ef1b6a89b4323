"""PDF documents from ordinary templates, rendered by WeasyPrint.

The renderer reads nothing but the project's own static files (fonts, CSS, images), from disk:
every other URL is refused, so a document never fetches anything from the network.
"""

import mimetypes
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_BASE = "file:///portal-static/"


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


def render_pdf(template_name: str, context: dict, *, language: str = "fr") -> bytes:
    """Render `template_name` in `language` to PDF bytes; static files are referred to by
    relative paths (`fonts/NotoSans-Regular.ttf`)."""
    with translation.override(language):
        html = render_to_string(template_name, {**context, "LANGUAGE_CODE": language})
    return HTML(string=html, base_url=STATIC_BASE, url_fetcher=StaticFilesFetcher()).write_pdf()
