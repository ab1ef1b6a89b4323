"""Helpers shared by several test modules of this folder."""

from django.urls import reverse
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
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(f"**{reverse('admin:index')}")
