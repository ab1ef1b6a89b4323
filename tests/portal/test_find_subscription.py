"""A visitor finds the subscription from the pages they land on (issue #14, point 1)."""

from datetime import datetime
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import resolve, reverse
from django.utils import timezone, translation

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(timezone.make_aware(datetime(2026, 12, 1, 10, 0)), tick=False),
]


class _Links(HTMLParser):
    """Every link of a page: (href, visible text)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open.append((dict(attrs).get("href") or "", []))

    def handle_data(self, data: str) -> None:
        for _href, parts in self._open:
            parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, parts = self._open.pop()
            self.links.append((href, " ".join("".join(parts).split())))


def _links_of(client, url: str, language: str) -> list[tuple[str, str]]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    parser = _Links()
    parser.feed(response.text)
    return parser.links


def _subscription_links(links: list[tuple[str, str]]) -> list[str]:
    return [
        text
        for href, text in links
        if href.startswith("/") and resolve(href.split("?")[0]).view_name == "portal:subscribe"
    ]


def _labels(language: str) -> set[str]:
    with translation.override(language):
        return {translation.gettext("Subscribe online"), translation.gettext("Subscribe")}


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_visitor_finds_the_subscription_from_the_home_page(client, grid, language):
    found = _subscription_links(_links_of(client, reverse("portal:home"), language))
    with translation.override(language):
        assert translation.gettext("Subscribe online") in found
    assert set(found) <= _labels(language)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_visitor_finds_the_subscription_from_the_offers_page(client, grid, language):
    with translation.override(language):
        offers_label = translation.gettext("Offers")
    home_links = _links_of(client, reverse("portal:home"), language)
    offers_url = next(href for href, text in home_links if text == offers_label)
    found = _subscription_links(_links_of(client, offers_url, language))
    with translation.override(language):
        assert translation.gettext("Subscribe online") in found


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_visitor_finds_the_subscription_from_the_sign_in_page(client, grid, language):
    found = _subscription_links(_links_of(client, reverse("portal:login"), language))
    with translation.override(language):
        assert translation.gettext("Subscribe online") in found
        assert translation.gettext("Subscribe online") != "Subscribe online"
    assert set(found) <= _labels(language)
