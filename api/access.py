"""Who may call the API: a registered system's key (never a customer's session), its scopes
per resource, its boutique, its rate."""

import time
from typing import cast

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


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` or `X-API-Key: <key>`."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        raw = header[7:].strip() if header[:7].lower() == "bearer " else ""
        raw = raw or request.META.get("HTTP_X_API_KEY", "").strip()
        if not raw:
            return None
        key = key_authenticate(raw)
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
        # Its request counted as it was found (api.keys.key_authenticate).
        key = cast(KeyUsed, request.auth)
        self.retry_after = rate_wait(
            used=key.rate_used,
            per_minute=key.rate_per_minute,
            window=key.rate_window,
            now=time.time(),
        )
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after
