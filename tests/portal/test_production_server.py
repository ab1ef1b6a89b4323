"""Issue 16, point 4: the production server (gunicorn), its bounded database pool, the load
balancer's probes, logs with a request id, and Sentry when a DSN is given."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from portal.observability import JsonFormatter, RequestIdFilter, request_id

ROOT = settings.BASE_DIR


def _settings_in_a_process(code: str, **environment: str) -> str:
    """Run `code` after Django's setup in a new process with the given environment."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", **environment}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for name in [key for key, value in environment.items() if value is None]:
        env.pop(name)
    result = subprocess.run(  # noqa: S603  (our own interpreter)
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_postgresql_in_production_gets_a_bounded_connection_pool():
    pool = _settings_in_a_process(
        "from django.conf import settings; import json;"
        "db = settings.DATABASES['default'];"
        "print(json.dumps([db['OPTIONS']['pool'], db['CONN_MAX_AGE']]))",
        DEBUG="false",
        DB_POOL_MAX_SIZE="6",
    )
    assert json.loads(pool) == [{"min_size": 1, "max_size": 6, "timeout": 10.0}, 0]


def test_sqlite_on_a_laptop_has_no_pool():
    options = _settings_in_a_process(
        "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}))",
        DEBUG="true",
        DATABASE_URL="sqlite:////tmp/portal-pool-test.sqlite3",
    )
    assert "pool" not in options


def test_healthz_answers_whatever_the_host_and_scheme(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portail.example.tn"]
    response = client.get("/healthz", HTTP_HOST="10.0.0.7")  # a load balancer probes by IP
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_ok_when_database_broker_and_storage_answer(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = os.environ.get(
        "CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15"
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "storage": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_when_the_storage_is_missing(client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "unmounted")},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["storage"] == "error"


def test_readyz_is_503_when_the_database_refuses(client, monkeypatch):
    from portal import health

    def refused() -> None:
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", refused)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_every_response_carries_a_request_id(client, grid):
    first = client.get("/")["X-Request-ID"]
    second = client.get("/")["X-Request-ID"]
    assert first and second and first != second
    # The proxy's id is kept when it is a plain token, replaced when it could forge a log line.
    assert client.get("/", HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    forged = client.get("/", HTTP_X_REQUEST_ID="x\nERROR forged line")["X-Request-ID"]
    assert "\n" not in forged and forged != "x\nERROR forged line"


def test_log_lines_are_json_with_the_request_id():
    token = request_id.set("req-0123456789")
    try:
        record = logging.LogRecord(
            "portal.test", logging.INFO, __file__, 1, "hello %s", ("you",), None
        )
        record.status = 200  # an `extra` field
        assert RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["message"] == "hello you"
    assert line["request_id"] == "req-0123456789"
    assert line["level"] == "INFO" and line["logger"] == "portal.test"
    assert line["status"] == 200


def test_sentry_is_on_only_when_a_dsn_is_given():
    code = "import sentry_sdk; print(sentry_sdk.get_client().is_active())"
    dsn = "https://public@sentry.example.tn/1"  # never reached: nothing is reported here
    assert _settings_in_a_process(code, SENTRY_DSN=dsn, DEBUG="false") == "True"
    assert _settings_in_a_process(code, SENTRY_DSN="", DEBUG="false") == "False"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310  (local server)
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gunicorn_serves_the_portal_with_its_config(grid, tmp_path):
    """`make run` with DATABASE_URL set starts gunicorn with deploy/gunicorn.conf.py: it serves
    pages through the pool, answers the probes and logs JSON lines with the request id."""
    db = settings.DATABASES["default"]
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "DB_POOL_MAX_SIZE": "2",
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PRIVATE_MEDIA_ROOT": str(tmp_path),
        "CELERY_BROKER_URL": os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15"),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = _get(f"{base}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        assert status == 200
        status, headers, body = _get(f"{base}/readyz")
        assert status == 200, body
        for _ in range(10):
            status, headers, body = _get(f"{base}/")
            assert status == 200
        assert "Forfait Liberté 20" in body.decode()
        request = headers["X-Request-ID"]
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(
        line.get("request_id") == request and line.get("path") == "/" and line.get("status") == 200
        for line in lines
    ), output[-2000:]
