"""Customers sign in with e-mail or mobile number; 5 failures lock the identifier (django-axes)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

LOGIN = "/login/"


@pytest.fixture
def alice_mobile(new_alice):
    new_alice.user.mobile = "+21698765432"
    new_alice.user.save()
    return new_alice


def _sign_in(client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def test_customer_signs_in_with_email_in_any_case(client, new_alice):
    response = _sign_in(client, "Alice@Example.TN")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")


@pytest.mark.parametrize("typed", ["98 765 432", "+216 98 765 432", "0021698765432"])
def test_customer_signs_in_with_mobile_number_as_typed(client, alice_mobile, typed):
    assert _sign_in(client, typed).status_code == 302


def test_wrong_password_says_what_to_fix_in_french(client, new_alice):
    response = _sign_in(client, "alice@example.tn", "wrong")
    assert response.status_code == 200
    assert response.context["form"].has_error("__all__", code="invalid_login")
    assert 'lang="fr"' in response.text


def test_lockout_after_5_failed_attempts_even_with_the_right_password(client, new_alice):
    for _ in range(4):
        assert _sign_in(client, "alice@example.tn", "wrong").status_code == 200
    locked = _sign_in(client, "alice@example.tn", "wrong")
    assert locked.status_code == 429
    response = _sign_in(client, "alice@example.tn")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert reverse("portal:password_reset") in response.text


def test_lockout_counts_one_identifier_whatever_its_spelling(client, alice_mobile):
    for typed in ["98765432", "98 765 432", "+21698765432", "0021698765432", "98-765-432"]:
        _sign_in(client, typed, "wrong")
    assert _sign_in(client, "+216 98 765 432").status_code == 429


def test_lockout_is_per_identifier_not_per_address(client, new_alice, new_bob):
    for _ in range(5):
        _sign_in(client, "alice@example.tn", "wrong")
    assert _sign_in(client, "bob@example.tn").status_code == 302


def test_password_reset_by_email_sets_a_new_password(client, new_alice):
    response = client.post(reverse("portal:password_reset"), {"email": "alice@example.tn"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password-reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    new_password = "another-long-passphrase-42"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    client.logout()
    assert _sign_in(client, "alice@example.tn", new_password).status_code == 302


def test_password_reset_does_not_tell_whether_an_account_exists(client, db):
    response = client.post(reverse("portal:password_reset"), {"email": "nobody@example.tn"})
    assert response.status_code == 302
    assert mail.outbox == []
