"""Sign-in with an e-mail address or a Tunisian mobile number."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.models import User
from lib.identifiers import normalize_msisdn


def normalize_identifier(identifier: str) -> str:
    """The canonical form of what a person types in the sign-in box."""
    identifier = (identifier or "").strip()
    if "@" in identifier:
        return identifier.lower()
    try:
        return normalize_msisdn(identifier)
    except ValidationError:
        return identifier.lower()


def axes_username(request: HttpRequest, credentials: dict | None) -> str:
    """What django-axes counts failures against: the normalised identifier (R: lockout)."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return normalize_identifier(raw)


class EmailOrMobileBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = normalize_identifier(username or kwargs.get(User.USERNAME_FIELD, ""))
        if not identifier or password is None:
            return None
        field = "email" if "@" in identifier else "mobile"
        try:
            user = User.objects.get(**{field: identifier})
        except User.DoesNotExist:
            # Same cost as a real check, so that timing does not tell who has an account.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
