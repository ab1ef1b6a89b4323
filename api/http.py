"""TMF conventions over HTTP: money written with its three decimals, errors as TMF's Error,
offset/limit pagination with X-Total-Count, `fields` selection."""

import json
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
# A Decimal is written as a string between two markers, which are then taken away with its
# quotes: the number appears as 12.500, not 12.5. A NUL cannot be stored in a PostgreSQL text,
# so no data holds the markers.
_OPEN, _CLOSE = "\u0000<", "\u0000>"
_QUOTED_OPEN = '"' + json.dumps(_OPEN)[1:-1]
_QUOTED_CLOSE = json.dumps(_CLOSE)[1:-1] + '"'

REASONS = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    415: "Unsupported media type",
    429: "Too many requests",
}


def exact(value: Decimal) -> str:
    """The number, to be written in JSON as it is (`json_bytes`): `tmf.money` gives its
    amounts so, written once and shared, with no call back to the encoder for each."""
    return _OPEN + format(value, "f") + _CLOSE


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return exact(o)
        return super().default(o)


# One encoder for every answer; the TMF shapes are trees (shared, never cyclic): no check.
_ENCODER = _Encoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def json_bytes(data) -> bytes:
    """JSON with every Decimal written as the number it is (three decimals for money)."""
    text = _ENCODER.encode(data)
    return text.replace(_QUOTED_OPEN, "").replace(_QUOTED_CLOSE, "").encode()


class TmfJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return b"" if data is None else json_bytes(data)


def tmf_error(code: int, message: str) -> Response:
    reason = REASONS.get(code, "Error")
    return Response(
        {
            "@type": "Error",
            "code": str(code),
            "reason": reason,
            "message": message or reason,
            "status": str(code),
        },
        status=code,
    )


def tmf_exception_handler(exc, context):
    """DRF's answer (its status and headers: WWW-Authenticate, Retry-After) in TMF's shape."""
    # Imported here: rest_framework.views reads the settings, which name this module's renderer.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    detail = data.get("detail", data) if isinstance(data, dict) else data
    if isinstance(detail, list):
        detail = " ".join(str(item) for item in detail)
    error = tmf_error(response.status_code, str(detail))
    for name, value in response.items():
        if name.lower() in {"www-authenticate", "retry-after", "allow"}:
            error[name] = value
    return error


def page_bounds(params) -> tuple[int, int]:
    """TMF's offset and limit (100 by default, at most 1000)."""
    try:
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except ValueError as error:
        raise exceptions.ValidationError("offset and limit are whole numbers.") from error
    if offset < 0 or limit < 0:
        raise exceptions.ValidationError("offset and limit are zero or more.")
    return offset, min(limit, MAX_LIMIT)


def fields_param(params) -> set[str] | None:
    raw = params.get("fields", "").strip()
    if not raw or raw == "none":
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}
