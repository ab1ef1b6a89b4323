"""R6.5: the browser-facing protections of every page, and uploads that no URL can reach.

Uploaded identity documents, letters and invoices are personal data: they live in
PRIVATE_MEDIA_ROOT, outside every static directory, with no MEDIA_URL, and only authenticated
views may serve them.
"""

import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from subscriptions.models import Customer

PAGES = {
    "home": (reverse("portal:home"), None),
    "login": (reverse("portal:login"), None),
    "dashboard": (reverse("portal:dashboard"), "alice"),
    "admin login": (reverse("admin:login"), None),
}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *values = directive.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("page", PAGES)
def test_every_page_sends_the_security_headers(client, request, grid, page):
    url, persona = PAGES[page]
    if persona:
        customer: Customer = request.getfixturevalue(persona)
        client.force_login(customer.user)
    response = client.get(url)
    assert response.status_code == 200

    # Enforced, not only reported; scripts and styles restricted, never inline.
    assert "Content-Security-Policy" in response.headers
    policy = csp_directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert {"script-src", "style-src"} <= policy.keys()
    assert not [name for name, values in policy.items() if "'unsafe-inline'" in values]
    assert policy["frame-ancestors"] == ["'none'"]

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def is_under(path, directory) -> bool:
    return Path(path).resolve().is_relative_to(Path(directory).resolve())


def test_uploads_live_outside_every_static_directory_and_have_no_url():
    uploads = Path(settings.PRIVATE_MEDIA_ROOT)
    static_dirs = [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]
    assert not [directory for directory in static_dirs if is_under(uploads, directory)]
    assert settings.MEDIA_URL is None
    assert Path(settings.MEDIA_ROOT) == uploads
    storage = settings.STORAGES["default"]["OPTIONS"]
    assert Path(storage["location"]) == uploads
    assert storage["base_url"] is None


@pytest.fixture
def private_file() -> Path:
    """A real file in the uploads directory, so that a 404 means "not served", not "absent"."""
    directory = Path(settings.PRIVATE_MEDIA_ROOT)
    created = not directory.exists()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"cin-{uuid.uuid4().hex}.pdf"
    path.write_bytes(b"%PDF-1.4 identity document of a customer")
    yield path
    path.unlink()
    if created:
        directory.rmdir()


def test_no_url_serves_an_uploaded_file(client, private_file):
    from_static_root = os.path.relpath(private_file, settings.STATIC_ROOT)
    assert from_static_root.startswith("..")
    from_media_root = private_file.relative_to(settings.PRIVATE_MEDIA_ROOT).as_posix()
    escaped = from_static_root.replace("..", "%2e%2e")
    urls = [
        f"/media/{from_media_root}",
        "/media/anything",
        f"/private/{from_media_root}",
        f"/{from_media_root}",
        f"{settings.STATIC_URL}{from_static_root}",
        f"{settings.STATIC_URL}{escaped}",
        f"{settings.STATIC_URL}{escaped.replace('/', '%2f')}",
        f"{settings.STATIC_URL}../var/portal.sqlite3",
        f"{settings.STATIC_URL}..%2f..%2fportal%2fsettings.py",
    ]
    answers = {url: client.get(url).status_code for url in urls}
    assert answers == dict.fromkeys(urls, 404)


def test_check_deploy_reports_nothing_with_production_settings():
    # Only what a production process is given: none of the test run's variables (pytest-env sets
    # HTTPS=false and DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly refuses).
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portail.example.tn",
        "CSRF_TRUSTED_ORIGINS": "https://portail.example.tn",
        "HTTPS": "true",
        "DATABASE_URL": os.environ["DATABASE_URL"],  # the tests' PostgreSQL (pytest-env)
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_no_secret_key_outside_debug_means_nothing_is_signed(tmp_path):
    """There is no production default: without SECRET_KEY and DEBUG off, signing fails loudly,
    while commands that sign nothing (makemigrations --check) still run."""
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3"),
    }
    script = (
        "import django; django.setup()\n"
        "from django.core import signing\n"
        "try:\n    signing.dumps('x')\nexcept Exception as e:\n    print(type(e).__name__)\n"
    )
    run = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.strip() == "ImproperlyConfigured", run.stderr
    check = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
