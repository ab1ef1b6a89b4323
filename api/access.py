"""Who may call the API: a registered system's key (never a customer's session), its scopes
per resource, its boutique, its rate."""

import time
from typing import cast

from django.http import HttpRequest
from rest_framework import authentication, exceptions, permissions, throttling

from api.keys import KeyUsed, key_authenticate
from api.models import ApiKey
from api.rates import rate_wait


class KeyHolder:
    """The calling system, as `request.user`: no person, no session."""

    is_authenticated = True
    is_staff = False

    def __init__(self, key: ApiKey) -> None:
        self.key = key

    def __str__(self) -> str:
        return self.key.name


def key_text(request: HttpRequest) -> str:
    """`Authorization: Bearer <key>` or `X-API-Key: <key>`: the key's text, "" without one."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    raw = header[7:].strip() if header[:7].lower() == "bearer " else ""
    return raw or request.META.get("HTTP_X_API_KEY", "").strip()


def request_key(request: HttpRequest) -> ApiKey | None:
    """The live key the request carries, checked once per request whoever asks (the list of
    bills before DRF, then DRF if it answers): its rate counted and its last use written once."""
    if not hasattr(request, "api_key"):
        raw = key_text(request)
        request.api_key = key_authenticate(raw) if raw else None  # type: ignore[attr-defined]
    return request.api_key  # type: ignore[attr-defined]


def throttled(key: ApiKey) -> int | None:
    """None when the key's request is within its rate, else the seconds to wait."""
    # Its request counted as it was found (api.keys.key_authenticate).
    used = cast(KeyUsed, key)
    return rate_wait(
        used=used.rate_used,
        per_minute=used.rate_per_minute,
        window=used.rate_window,
        now=time.time(),
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` or `X-API-Key: <key>`."""

    def authenticate(self, request):
        if not key_text(request):
            return None
        key = request_key(request._request)
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return KeyHolder(key), key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class HasScope(permissions.BasePermission):
    """The view's `resource` read (safe methods) or write (others) in the key's scopes."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        needed = view.read_scope if request.method in permissions.SAFE_METHODS else view.write_scope
        return needed in key.scopes


class PerKeyRateThrottle(throttling.BaseThrottle):
    """Requests per minute, each key its own budget (`ApiKey.rate_per_minute`), counted in the
    database so that every web process shares it (api.rates); 429 with Retry-After beyond."""

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        self.retry_after = throttled(request.auth)
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after
