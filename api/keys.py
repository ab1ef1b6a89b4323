"""API keys of the registered systems: made (shown once), checked, revoked."""

import functools
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias, TypedDict, cast

from django.db import connection
from django.utils import timezone

from accounts.models import Boutique, User
from api.models import ApiKey
from api.rates import RATE_TAKE, rate_window


class KeyUsedRead(TypedDict):
    """What the key check reads onto the key: its count in the minute, and when it was used."""

    rate_used: int
    rate_window: int
    seen_at: datetime | None


if TYPE_CHECKING:  # django-stubs' helper, installed with the checker only
    from django_stubs_ext import WithAnnotations

    KeyUsed: TypeAlias = WithAnnotations[ApiKey, KeyUsedRead]
else:
    KeyUsed = ApiKey

KEY_PREFIX = "tnp"
# The last use is written at most once a minute per key, not on every request.
LAST_USE_RESOLUTION = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_create(
    *,
    name: str,
    scopes: list[str],
    boutique: Boutique | None = None,
    actor: User | None = None,
    rate_per_minute: int = 600,
) -> tuple[ApiKey, str]:
    """A new key for a system; returns it with its full text, which is never stored."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scopes=scopes,
        boutique=boutique,
        created_by=actor,
        rate_per_minute=rate_per_minute,
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


# The live key of that prefix and secret (`key`); its request counted (api.rates) and its last
# use written (at most once a minute): CTEs of one statement, one round trip per request, which
# may read more (api.bill_pages: the page of bills the key reads).
KEY_USED_CTES = f"""key AS (
    SELECT * FROM api_apikey
    WHERE prefix = %(prefix)s AND secret_hash = %(hash)s AND revoked_at IS NULL
), rate AS ({RATE_TAKE}), seen AS (
    UPDATE api_apikey SET last_used_at = %(now)s FROM key
    WHERE api_apikey.id = key.id
        AND (key.last_used_at IS NULL OR key.last_used_at < %(stale)s)
    RETURNING api_apikey.last_used_at
)"""  # noqa: S608  (fixed text: every value is a parameter)
# The key's columns, as `key_found` reads them, from a row of `key`.
_FIELDS = list(ApiKey._meta.concrete_fields)
_SECRET = ApiKey._meta.get_field("secret_hash")
# What the ORM does to the database's values (the scopes' JSON read as a list).
_CONVERTERS = [field.get_db_converters(connection) for field in _FIELDS]
KEY_USED_COLUMNS = ", ".join(
    [
        *(f"key.{field.column}" for field in _FIELDS),
        "(SELECT used FROM rate) AS rate_used",
        "COALESCE((SELECT last_used_at FROM seen), key.last_used_at) AS seen_at",
    ]
)
_KEY_USED = f"WITH {KEY_USED_CTES} SELECT {KEY_USED_COLUMNS} FROM key"  # noqa: S608


def key_params(raw: str) -> dict | None:
    """The parameters of `KEY_USED_CTES` for the key's text; None when it is no key's."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    now = timezone.now()
    return {
        "prefix": parts[1],
        "hash": _hash(parts[2]),
        "window": rate_window(now.timestamp()),
        "now": now,
        "stale": now - LAST_USE_RESOLUTION,
    }


def key_found(row: tuple | None, params: dict) -> ApiKey | None:
    """The key of a row of `KEY_USED_COLUMNS` (None: no live key), with its request counted
    (`rate_used` in the minute `rate_window`, api.rates) and its last use."""
    if row is None or not hmac.compare_digest(row[_FIELDS.index(_SECRET)], params["hash"]):
        return None
    values = [
        functools.reduce(
            lambda value, convert: convert(value, field, connection), converters, value
        )
        for field, converters, value in zip(_FIELDS, _CONVERTERS, row, strict=False)
    ]
    key = cast(KeyUsed, ApiKey.from_db("default", [f.attname for f in _FIELDS], values))
    key.rate_used, key.seen_at = row[len(_FIELDS)], row[len(_FIELDS) + 1]
    key.last_used_at, key.rate_window = key.seen_at, params["window"]
    return key


def key_authenticate(raw: str) -> ApiKey | None:
    """The live key whose text this is, its last use recorded and this request counted in its
    rate (`rate_used` in the minute `rate_window`, api.rates); None for anything else."""
    params = key_params(raw)
    if params is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_KEY_USED, params)
        return key_found(cursor.fetchone(), params)


def key_revoke(*, key: ApiKey, actor: User) -> bool:
    """The key stops working at once; revoking twice changes nothing."""
    return bool(
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
    )
