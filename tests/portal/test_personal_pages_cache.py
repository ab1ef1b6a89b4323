"""Issue 16, point 6: pages with personal data are not kept by caches, and the static manifest
is not served."""

from django.conf import settings
from django.test import Client


def test_pages_of_a_signed_in_customer_are_private_and_not_stored(client, new_alice):
    client.force_login(new_alice.user)
    for url in ["/dashboard/", "/invoices/", "/privacy/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, url


def test_the_back_office_is_private_and_not_stored(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_public_page_keeps_its_caching(client, grid):
    assert "no-store" not in client.get("/").get("Cache-Control", "")


def test_the_static_manifest_is_not_served(grid):
    assert (settings.STATIC_ROOT / "staticfiles.json").exists()  # collectstatic wrote it
    client = Client()
    assert client.get("/static/staticfiles.json").status_code == 404
    # The files it maps are still served under their hashed names.
    page = client.get("/").content.decode()
    stylesheet = page.split('href="/static/css/', 1)[1].split('"', 1)[0]
    assert client.get(f"/static/css/{stylesheet}").status_code == 200
