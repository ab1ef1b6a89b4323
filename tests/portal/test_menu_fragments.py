"""The pages' menu, head and footer are rendered once per process for each language and kind of
visitor (templates/base.html, issue 17): each visitor still sees their own."""

import pytest
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.urls import reverse

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def empty_fragment_cache():
    caches["fragments"].clear()
    yield
    caches["fragments"].clear()


def _menu(client, url: str) -> str:
    page = client.get(url).content.decode()
    return page[page.index("<nav") : page.index("</nav>")]


def test_the_menu_is_each_kind_of_visitors_own_once_cached(client, alice):
    privacy, dashboard = reverse("portal:privacy"), reverse("portal:dashboard")
    client.force_login(alice.user)
    customer_menu = _menu(client, dashboard)
    cached = caches["fragments"].get(make_template_fragment_key("base_menu", ["fr", True, "1"]))
    assert cached
    assert privacy in cached  # rendered once, then kept
    assert privacy in customer_menu
    assert "Mes lignes" in customer_menu
    client.force_login(UserFactory())  # signed in, not a customer yet
    newcomer_menu = _menu(client, dashboard)
    assert dashboard in newcomer_menu
    assert privacy not in newcomer_menu
    client.logout()
    visitor_menu = _menu(client, reverse("portal:home"))
    assert dashboard not in visitor_menu
    assert reverse("portal:login") in visitor_menu


def test_the_menu_is_in_the_pages_language_once_cached(client, alice):
    client.force_login(alice.user)
    assert "Mes lignes" in _menu(client, reverse("portal:dashboard"))
    client.cookies["django_language"] = "en"
    english = _menu(client, reverse("portal:dashboard"))
    assert "My lines" in english
    assert 'lang="en" selected' in english
    assert "Mes lignes" not in english
