"""`make test`: the suite in two halves at once, one per core, since much of a test's time is
spent waiting on the Celery workers, browsers, servers and databases it drives.

Each half has its own test database (tests/conftest.py, PORTAL_TEST_HALF), its own Redis
database for the test workers (CELERY_TEST_BROKER_URL) and its own files (PRIVATE_MEDIA_ROOT),
and writes its own JUnit XML under build/test-results/. The first half is named by its paths;
the second is every other test, so that no test is left out. The tests that break a worker's
Redis or PostgreSQL connections (marker `faults`) reach Redis's database 0 through their proxies:
they are all in the second half. Each output line is printed as it comes, after its half's
name; the exit status is the worst of the two. Arguments are given to both halves."""

import os
import subprocess
import sys
import threading
from pathlib import Path

FIRST = [
    "tests/e2e",
    "tests/portal",
    "tests/api",
    "tests/accounts",
    "tests/catalogue",
    "tests/einvoicing",
    "tests/abuse",
    "tests/terminations",
    "tests/passes",
    "tests/bench",
    "tests/test_money.py",
]
RESULTS = Path("build/test-results")


def _command(half: str, arguments: list[str]) -> list[str]:
    paths = FIRST if half == "a" else ["tests", *(f"--ignore={path}" for path in FIRST)]
    junit = f"--junitxml={RESULTS / f'junit-{half}.xml'}"
    return [sys.executable, "-m", "pytest", *paths, junit, *arguments]


def _environment(half: str, redis_database: int) -> dict[str, str]:
    return {
        **os.environ,
        "PORTAL_TEST_HALF": half,
        "CELERY_TEST_BROKER_URL": f"redis://127.0.0.1:6379/{redis_database}",
        "PRIVATE_MEDIA_ROOT": str(Path("var", f"test-{half}", "private").resolve()),
    }


def _relay(half: str, process: subprocess.Popen) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.write(f"[{half}] {line}")
        sys.stdout.flush()


def main(arguments: list[str]) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    processes = {
        half: subprocess.Popen(  # noqa: S603  (this interpreter, pytest, fixed arguments)
            _command(half, arguments),
            env=_environment(half, redis_database),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for half, redis_database in (("a", 15), ("b", 14))
    }
    relays = [
        threading.Thread(target=_relay, args=(half, process)) for half, process in processes.items()
    ]
    for relay in relays:
        relay.start()
    for relay in relays:
        relay.join()
    codes = {half: process.wait() for half, process in processes.items()}
    for half, code in codes.items():
        print(f"half {half}: pytest exited with {code}")
    return max(codes.values())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
