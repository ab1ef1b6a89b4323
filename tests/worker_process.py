"""Celery worker processes for tests: started on the test's database and broker, at the test's
instant, and killed whatever happens.

time-machine moves the clock of the test's process only (the suite's `--clock`, a test's
travel): a worker process started as `python -m celery` would read the real clock, and a sweep
it runs would find due what the test made due at another date. `celery_command` starts it
through this module instead, at the test's instant, the clock ticking on from there.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import time_machine
from django.conf import settings
from django.utils import timezone

BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def database_url(port: int | None = None) -> str:
    """The test database's URL, through another port when given (a proxy in front of it)."""
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{port or db['PORT']}/{db['NAME']}"


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def celery_command(*arguments: str) -> list[str]:
    """`python -m celery <arguments>`, at the test's instant when its clock is moved."""
    if not time_machine.escape_hatch.is_travelling():
        return [sys.executable, "-m", "celery", *arguments]
    return [sys.executable, "-m", "tests.worker_process", timezone.now().isoformat(), *arguments]


def worker_start(
    *, broker: str = BROKER, queues: str = "celery", concurrency: int = 1, **env: str
) -> subprocess.Popen:
    """A worker process on the test database and `broker`, consuming `queues`; `env` adds or
    overrides environment variables (DATABASE_URL through a proxy, the mail spool...). One
    process (`--pool solo`), or a prefork pool of `concurrency` processes. In a session of its
    own, so that `worker_kill` kills it with its children."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "DEBUG": "false",
        "HTTPS": "false",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    pool = ["--pool", "solo"] if concurrency == 1 else ["--concurrency", str(concurrency)]
    return subprocess.Popen(  # noqa: S603  (our own worker command)
        celery_command(
            *("-A", "portal", "worker", "-Q", queues, *pool),
            *("--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "warning"),
        ),
        cwd=settings.BASE_DIR,
        env=environment,
        start_new_session=True,
    )


def worker_kill(worker: subprocess.Popen) -> None:
    """SIGKILL: no warm shutdown, the messages it holds stay unacknowledged."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)


@contextmanager
def running_worker(**options) -> Iterator[subprocess.Popen]:
    """`worker_start(**options)`, killed at the end whatever happens (a failed test leaves none
    behind)."""
    worker = worker_start(**options)
    try:
        yield worker
    finally:
        worker_kill(worker)


def main() -> None:
    """`python -m tests.worker_process <ISO instant> <celery arguments>`."""
    from celery.__main__ import main as celery

    instant = datetime.fromisoformat(sys.argv.pop(1))
    sys.argv[0] = "celery"
    with time_machine.travel(instant, tick=True):
        celery()


if __name__ == "__main__":
    main()
