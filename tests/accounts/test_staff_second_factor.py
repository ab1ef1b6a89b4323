"""Issue 16, point 5: sign-in resists guessing. One failure count per account whatever
identifier is typed; a per-address limit high enough for carrier NAT; staff open the admin only
with their TOTP second factor (django-otp)."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD

LOGIN = "/login/"


def _sign_in(client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.fixture
def alice_mobile(new_alice):
    new_alice.user.mobile = "+21698765432"
    new_alice.user.save()
    return new_alice


def test_email_and_mobile_share_one_failure_count(client, alice_mobile):
    for typed in ["alice@example.tn", "98 765 432", "ALICE@example.tn", "+21698765432"]:
        assert _sign_in(client, typed, "wrong").status_code == 200
    assert _sign_in(client, "0021698765432", "wrong").status_code == 429  # the fifth failure
    # Locked whatever is typed now, even with the right password.
    assert _sign_in(client, "alice@example.tn").status_code == 429
    assert _sign_in(client, "98765432").status_code == 429


def test_an_unknown_identifier_is_counted_as_typed(client, new_alice):
    for _ in range(5):
        _sign_in(client, "nobody@example.tn", "wrong")
    assert _sign_in(client, "alice@example.tn").status_code == 302


def test_one_address_guessing_across_accounts_is_stopped_past_its_limit(
    client, new_alice, new_bob, settings
):
    settings.AXES_IP_FAILURE_LIMIT = 6  # 500 by default: a carrier's NAT shares one address
    for n in range(6):
        _sign_in(client, f"guess{n}@example.tn", "wrong")  # 6 accounts, never 5 on one
    assert _sign_in(client, "alice@example.tn").status_code == 429
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert _sign_in(other, "bob@example.tn").status_code == 302


def test_the_default_per_address_limit_leaves_room_for_carrier_nat(settings):
    assert settings.AXES_IP_FAILURE_LIMIT >= 100 * settings.AXES_FAILURE_LIMIT


def test_staff_without_a_second_factor_cannot_open_the_admin(supervisor):
    client = Client()
    # Signed in with the right password, but no TOTP code: the admin is not open.
    assert _sign_in(client, supervisor.email).status_code == 302
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    # The admin's own sign-in form refuses the password alone.
    response = client.post(
        reverse("admin:login"), {"username": supervisor.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_staff_with_their_totp_code_open_the_admin(supervisor):
    device = TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    client = Client()
    response = client.post(
        reverse("admin:login"),
        {
            "username": supervisor.email,
            "password": PASSWORD,
            "otp_token": f"{totp(device.bin_key):06d}",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_wrong_totp_code_does_not_open_the_admin(supervisor):
    TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    client = Client()
    client.post(
        reverse("admin:login"),
        {"username": supervisor.email, "password": PASSWORD, "otp_token": "000000"},
    )
    assert client.get(reverse("admin:index")).status_code == 302


def test_demo_staff_get_a_second_factor_printed_by_make_run(grid, settings):
    from io import StringIO

    from django.core.management import call_command

    from subscriptions.demo import DEMO_TOTP_KEY, demo_totp_secret

    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert demo_totp_secret() in out.getvalue()
    device = TOTPDevice.objects.get(user__email="agent@demo.tn")
    code = StringIO()
    call_command("demo_totp", stdout=code)
    assert code.getvalue().strip() == f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}"
    client = Client()
    client.post(
        reverse("admin:login"),
        {
            "username": "agent@demo.tn",
            "password": "demo-agent-2026",
            "otp_token": f"{totp(device.bin_key):06d}",
        },
    )
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_staff_account_is_enrolled_by_command_and_its_codes_open_the_admin(supervisor):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("staff_totp", supervisor.email, stdout=out)
    assert out.getvalue().startswith("otpauth://totp/")
    device = TOTPDevice.objects.get(user=supervisor)
    client = Client()
    client.post(
        reverse("admin:login"),
        {
            "username": supervisor.email,
            "password": PASSWORD,
            "otp_token": f"{totp(device.bin_key):06d}",
        },
    )
    assert client.get(reverse("admin:index")).status_code == 200
