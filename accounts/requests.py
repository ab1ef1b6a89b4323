"""The type of a request someone signed in to: what `login_required` and the admin site let
through carries a `User`, never an `AnonymousUser`. For the type checker only (django-stubs types
`HttpRequest.user` as either); views annotate their request with it."""

from typing import cast

from django.http import HttpRequest

from accounts.models import User


class SignedInRequest(HttpRequest):
    user: User


def staff_member(request: HttpRequest) -> User:
    """The user of a request to the admin site, which lets only signed-in staff in (a method that
    Django's admin calls with an `HttpRequest` cannot say so in its signature)."""
    return cast(User, request.user)
