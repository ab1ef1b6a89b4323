"""The portal has a favicon, linked from the base page and served by whitenoise (issue #14)."""

import re
from datetime import datetime

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(timezone.make_aware(datetime(2026, 12, 1, 10, 0)), tick=False),
]


def test_the_favicon_file_exists_in_the_static_files():
    assert finders.find("images/favicon.svg")


def test_every_page_links_the_favicon_and_it_is_served(client, grid):
    page = client.get("/login/")
    assert page.status_code == 200
    link = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page.text)
    assert link, "the base page links no favicon"
    icon = client.get(link[1])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)
