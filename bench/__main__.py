"""`make bench`: figures printed as `BENCH <name> <value> <unit>`, on a throw-away test database.

Run against PostgreSQL by setting DATABASE_URL (as production; the Makefile's default); with
SQLite the steps share one database. BENCH_ONLY=pdfs,billing runs only the named steps of STEPS.

The bench gives the same figures whatever the day: it sets its clock (BENCH_CLOCK, Africa/Tunis,
ticking from there) and its data is dated from that clock. Each step runs on its own copy of a
database holding the demo grid and accounts (PostgreSQL clones it from a template in a second), so
no step sees another's invoices or lines. A step that fails is named on stderr, the others still
run, and the command exits with 1.
"""

import importlib
import os
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-key-" + "b" * 40)
os.environ.setdefault("HTTPS", "false")

import django
import time_machine

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

# The modules of bench/, each with a run(report, median_ms), in the order they run.
STEPS = ("pages", "pdfs", "billing", "imports", "sweeps", "teif", "api", "load", "interruptions")
ROUNDS = 30  # per figure: enough for a stable median on 2 cores, a few seconds in all
# The steps' data are October 2026 invoices and earlier: the clock is in November 2026.
CLOCK = os.environ.get("BENCH_CLOCK", "2026-11-20T10:00")


def report(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name} {value:.2f} {unit}", flush=True)


def median_ms(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    action()  # warm caches and connections
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def _demo_data() -> None:
    from catalogue.grid_file import grid_load
    from catalogue.management.commands.grid_load import DEMO_GRID
    from subscriptions.demo import demo_load

    grid_load(DEMO_GRID)  # every figure is measured on the demo grid and boutiques
    demo_load()


def _close_connections() -> None:
    """Every connection of this process closed, its pool's too (a pool outside DEBUG,
    portal/settings.py): the pool would otherwise keep sessions on the database, and connect to
    the database it was made for, whatever the settings say next."""
    connections.close_all()
    if connection.vendor == "postgresql":
        connection.close_pool()


@contextmanager
def step_database(name: str) -> Iterator[None]:
    """The step runs on a copy of the prepared database (PostgreSQL), dropped after it."""
    if connection.vendor != "postgresql":
        yield
        return
    template = connection.settings_dict["NAME"]
    copy = f"{template}_{name}"
    _close_connections()  # a template database must have no other session
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
    connection.settings_dict["NAME"] = copy
    try:
        yield
    finally:
        _close_connections()
        connection.settings_dict["NAME"] = template
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')


def main() -> int:
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    if unknown := sorted(set(only) - set(STEPS)):
        print(f"BENCH_ONLY names no step: {', '.join(unknown)} (steps: {', '.join(STEPS)})")
        return 2
    failed = []
    clock = datetime.fromisoformat(CLOCK).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(clock, tick=True):
        test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            _demo_data()
            for name in STEPS:
                if only and name not in only:
                    continue
                try:
                    with step_database(name):
                        importlib.import_module(f"bench.{name}").run(report, median_ms)
                except Exception:  # named below; the other steps still run
                    traceback.print_exc()
                    print(f"BENCH step {name} failed", file=sys.stderr, flush=True)
                    failed.append(name)
        finally:
            _close_connections()
            connection.creation.destroy_test_db(test_db, verbosity=0)
    if failed:
        print(f"Bench steps failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
