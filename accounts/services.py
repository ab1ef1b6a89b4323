"""Customer accounts: opening one from the subscription form, confirming its e-mail address."""

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from lib.emails import send_templated

CONFIRMATION_SALT = "accounts.email-confirmation"
CONFIRMATION_MAX_AGE = 60 * 60 * 24 * 7  # a week: the link is in a mail the customer may read late


def account_open(
    *, email: str, password: str, first_name: str, last_name: str, mobile: str, language: str
) -> User:
    validate_password(password)
    return User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        mobile=mobile or None,
        language=language,
    )


def confirmation_token(user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.email}, salt=CONFIRMATION_SALT)


def confirmation_send(*, user: User, base_url: str) -> None:
    """E-mail the confirmation link; call it after the account is committed."""
    link = base_url + reverse("portal:email_confirm", args=[confirmation_token(user)])
    send_templated(
        to=user.email,
        template="email-confirm",
        context={"user": user, "link": link},
        language=user.language,
    )


def email_confirm(*, token: str) -> User | None:
    """The account the token confirms, or None when the link is forged, old or outdated."""
    try:
        data = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("user"), email=data.get("email")).first()
    if user is not None and user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])
    return user
