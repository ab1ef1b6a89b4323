"""What operations see of a running portal: a request id on every log line, JSON log lines, and
errors reported to Sentry when `SENTRY_DSN` is set.

The request id is the one the proxy sent (`X-Request-ID`, when it is a plain token) or a new
one; it is answered in the response's `X-Request-ID`, so a customer's complaint, the proxy's log
and the portal's log meet. A Celery task logs its task id the same way.
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

request_id: ContextVar[str] = ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy may hand us: a token, never text that could forge a log line.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

logger = logging.getLogger("portal.requests")


def incoming_request_id(value: str | None) -> str:
    """The proxy's request id when it is a plain token, else a new one."""
    if value and _ACCEPTED_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First of the middleware: every log line of the request carries its id, and the request
    itself is logged once (method, path, status, duration; never the query string, which may
    hold personal data)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_id.set(incoming_request_id(request.headers.get(REQUEST_ID_HEADER)))
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id.get()
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000),
                },
            )
            return response
        finally:
            request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's (or task's) id on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


# The attributes every LogRecord has; anything else on a record was given through `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, the `extra` fields,
    and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _STANDARD and key not in entry and not key.startswith("_")
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def task_request_id_bind(task_id: str | None = None, task=None, **_kwargs) -> None:
    """Celery's task_prerun: a worker's task logs its id as its request id (a task run eagerly
    inside a request keeps the request's)."""
    if task is not None and task.request.is_eager:
        return
    request_id.set(task_id or "-")


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    """Errors of the web and of the workers to Sentry, without personal data (no cookies,
    user, body or IP address are sent)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
    )
