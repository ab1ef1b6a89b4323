"""Helpers shared by several test modules of this folder."""

from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page

from accounts.models import User
from tests.factories import PASSWORD


def sign_in(page: Page, identifier: str) -> None:
    page.locator("#id_username").fill(identifier)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url(f"**{reverse('portal:dashboard')}")


def sign_in_to_admin(page: Page, agent: User) -> None:
    page.goto(reverse("admin:index"))
    page.locator("#id_username").fill(agent.email)
    page.locator("#id_password").fill(PASSWORD)
    # The second factor every staff account has (issue 16, point 5).
    device, _ = TOTPDevice.objects.get_or_create(
        user=agent, name="e2e", defaults={"confirmed": True}
    )
    page.locator("#id_otp_token").fill(f"{totp(device.bin_key):06d}")
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(f"**{reverse('admin:index')}")
