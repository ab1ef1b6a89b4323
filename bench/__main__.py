"""`make bench`: figures printed as `BENCH <name> <value> <unit>`, on a throw-away test database.

Run against PostgreSQL by setting DATABASE_URL (as production); with nothing set it uses SQLite.
BENCH_ONLY=pdfs,billing runs only the named modules of FIGURES.
"""

import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-key-" + "b" * 40)
os.environ.setdefault("HTTPS", "false")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

# The modules of bench/, each with a run(report, median_ms), in the order they run.
FIGURES = ("pages", "pdfs", "billing", "sweeps", "interruptions")
ROUNDS = 30  # per figure: enough for a stable median on 2 cores, a few seconds in all


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


def main() -> int:
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from catalogue.grid_file import grid_load
        from catalogue.management.commands.grid_load import DEMO_GRID
        from subscriptions.demo import demo_load

        grid_load(DEMO_GRID)  # every figure is measured on the demo grid and boutiques
        demo_load()
        only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
        for name in FIGURES:
            if not only or name in only:
                importlib.import_module(f"bench.{name}").run(report, median_ms)
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
