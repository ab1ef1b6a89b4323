"""API keys of the registered systems: made (shown once), checked, revoked."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import Boutique, User
from api.models import ApiKey

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


def key_authenticate(raw: str) -> ApiKey | None:
    """The live key whose text this is, its last use recorded; None for anything else."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    # The prefix is unique: no ordering, no join (the boutique is read by its id only).
    key = next(iter(ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True)[:1]), None)
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(parts[2])):
        return None
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - LAST_USE_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION)
        ).update(last_used_at=now)
        key.last_used_at = now
    return key


def key_revoke(*, key: ApiKey, actor: User) -> bool:
    """The key stops working at once; revoking twice changes nothing."""
    return bool(
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
    )
