"""Static files (WhiteNoise) without the manifest, and no browser or proxy cache of pages
with personal data (issue 16, point 6).

`collectstatic` writes `staticfiles.json`, the map of every static file to its hashed name,
into STATIC_ROOT; it is for the server, not for visitors, who get 404 for it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from whitenoise.middleware import WhiteNoiseMiddleware

MANIFEST_NAME = "staticfiles.json"


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, less the manifest."""

    def __init__(self, get_response=None, settings=settings) -> None:
        super().__init__(get_response, settings=settings)
        self.manifest_url = self.static_prefix + MANIFEST_NAME
        self.files.pop(self.manifest_url, None)

    def find_file(self, url):
        if url == self.manifest_url:
            return None
        return super().find_file(url)


class PersonalPagesNoStoreMiddleware:
    """A page served to someone signed in (a customer's lines, invoices, personal data; the
    back office) is `Cache-Control: private, no-store`: no proxy keeps it and the browser does
    not keep it on disk for the next user of the computer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
