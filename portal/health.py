"""`/healthz` and `/readyz` for the load balancer.

`/healthz` says the process answers (restart it if not); `/readyz` says it can serve: the
database answers, the broker accepts connections (when there is one) and the private storage is
writable, 503 otherwise (take it out of rotation). Both are answered by a middleware ahead of
all the others: a load balancer probes by IP address and over plain HTTP, which the host check
and the HTTPS redirect would refuse, and a probe needs no session.
"""

import logging
import os
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    if not settings.CELERY_BROKER_URL:
        return  # tasks run in the web process: there is no broker to reach
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
        broker.ensure_connection(max_retries=1, timeout=2)


def _storage() -> None:
    location = default_storage.path("")
    if not (os.path.isdir(location) and os.access(location, os.W_OK | os.X_OK)):
        raise OSError(f"{location} is not a writable directory")


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "broker": _broker,
    "storage": _storage,
}


def readiness() -> dict[str, str]:
    """Each dependency's state: "ok", or "error" (the cause goes to the log, not the answer)."""
    states = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("readiness check %s failed", name)
            states[name] = "error"
        else:
            states[name] = "ok"
    return states


class HealthMiddleware:
    """Answers the two probes before any other middleware runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            response: HttpResponse = JsonResponse({"status": "ok"})
        elif request.path == "/readyz":
            states = readiness()
            ready = all(state == "ok" for state in states.values())
            response = JsonResponse(
                {"status": "ok" if ready else "unavailable", **states},
                status=200 if ready else 503,
            )
        else:
            return self.get_response(request)
        response["Cache-Control"] = "no-store"
        return response
