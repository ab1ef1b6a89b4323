"""Queue a Celery task by its name once the current transaction commits.

Inside an app the tasks call the services, never the other way: a service enqueues a task of its
own app by the task's name, without importing the tasks module (each app's `AppConfig.ready`
imports it, so the task is registered wherever Django runs). import-linter keeps it so
(pyproject.toml, "services do not import tasks").
"""

from typing import Any

from celery import current_app
from django.db import transaction


def dispatch(name: str, *args: Any) -> None:
    """Queue the task registered as `name` with `args` now: for a job that runs outside any
    transaction (a beat task queuing what is left to do)."""
    current_app.tasks[name].delay(*args)


def enqueue(name: str, *args: Any, robust: bool = False) -> None:
    """Queue the task registered as `name` with `args` after the commit of the current
    transaction (at once outside one); `robust`: a failure to queue does not undo what committed
    nor stop the other callbacks."""
    transaction.on_commit(lambda: current_app.tasks[name].delay(*args), robust=robust)
