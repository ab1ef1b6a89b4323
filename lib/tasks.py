"""Queue a Celery task by its name once the current transaction commits.

Inside an app the tasks call the services, never the other way: a service enqueues a task of its
own app by the task's name, without importing the tasks module (each app's `AppConfig.ready`
imports it, so the task is registered wherever Django runs). import-linter keeps it so
(pyproject.toml, "services do not import tasks").
"""

from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction

# Issue 16: options of a task whose retry must outlast a database or broker outage: 5 s
# doubling to 5 minutes, about an hour and a half over its 20 attempts; whatever gives up is
# queued again by its app's beat job from what the database says is still to do.
OUTAGE_RETRY: dict[str, Any] = {
    "autoretry_for": (Exception,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": False,
    "max_retries": 20,
    "acks_late": True,
}


def outage_countdown(retries: int) -> int:
    """Seconds before the retry that follows `retries` retries, as OUTAGE_RETRY waits."""
    return min(OUTAGE_RETRY["retry_backoff"] * 2**retries, OUTAGE_RETRY["retry_backoff_max"])


def outbox_stale() -> timedelta:
    """How long a claim, a queued message or a running job may stay without news before a beat
    job takes it up again (OUTBOX_STALE_SECONDS: a dead worker's claim, a lost message)."""
    return timedelta(seconds=settings.OUTBOX_STALE_SECONDS)


def dispatch(name: str, *args: Any) -> None:
    """Queue the task registered as `name` with `args` now: for a job that runs outside any
    transaction (a beat task queuing what is left to do)."""
    current_app.tasks[name].delay(*args)


def enqueue(name: str, *args: Any, robust: bool = False) -> None:
    """Queue the task registered as `name` with `args` after the commit of the current
    transaction (at once outside one); `robust`: a failure to queue does not undo what committed
    nor stop the other callbacks."""
    transaction.on_commit(lambda: current_app.tasks[name].delay(*args), robust=robust)
