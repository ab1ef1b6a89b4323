"""Sign-in with an e-mail address or a Tunisian mobile number."""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

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
    """What django-axes counts failures against: the account (its e-mail, or its mobile when it
    has no e-mail) whatever identifier was typed, so that guesses through the e-mail and through
    any spelling of the mobile share one count (issue 16, point 5); an identifier of no account
    is counted as typed, normalised."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    identifier = normalize_identifier(raw)
    if not identifier:
        return identifier
    field = "email" if "@" in identifier else "mobile"
    account = User.objects.filter(**{field: identifier}).values_list("email", "mobile").first()
    if account is None:
        return identifier
    email, mobile = account
    return email or str(mobile)


def ip_failures(ip_address: str | None) -> int:
    """Failed sign-ins from one address within the cool-off, all accounts together."""
    if not ip_address:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return (
        AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
            total=Sum("failures_since_start")
        )["total"]
        or 0
    )


class SignInLimitBackend(AxesStandaloneBackend):
    """Axes' lockout per account, plus a limit per address (AXES_IP_FAILURE_LIMIT) set high
    enough for carrier-grade NAT: one address guessing across many accounts is stopped too."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and ip_failures(get_client_ip_address(request)) >= (
            settings.AXES_IP_FAILURE_LIMIT
        ):
            request.axes_locked_out = True  # AxesMiddleware answers with the lockout page
            raise AxesBackendPermissionDenied("Too many failed sign-ins from this address")
        return super().authenticate(request, username=username, password=password, **kwargs)


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

    def get_user(self, user_id):
        """The signed-in user of each request, read with their customer record in one query:
        every customer page reads `request.user.customer` (issue 17: one query less a page)."""
        try:
            user = User._default_manager.select_related("customer").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
