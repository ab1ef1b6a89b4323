"""Celery worker processes that read the test's clock.

time-machine moves the clock of the test's process only (the suite's `--clock`, a test's
travel): a worker process started as `python -m celery` would read the real clock, and a sweep
it runs would find due what the test made due at another date. `celery_command` starts it
through this module instead, at the test's instant, the clock ticking on from there.
"""

import sys
from datetime import datetime

import time_machine
from django.utils import timezone


def celery_command(*arguments: str) -> list[str]:
    """`python -m celery <arguments>`, at the test's instant when its clock is moved."""
    if not time_machine.escape_hatch.is_travelling():
        return [sys.executable, "-m", "celery", *arguments]
    return [sys.executable, "-m", "tests.worker_process", timezone.now().isoformat(), *arguments]


def main() -> None:
    """`python -m tests.worker_process <ISO instant> <celery arguments>`."""
    from celery.__main__ import main as celery

    instant = datetime.fromisoformat(sys.argv.pop(1))
    sys.argv[0] = "celery"
    with time_machine.travel(instant, tick=True):
        celery()


if __name__ == "__main__":
    main()
