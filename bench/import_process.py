"""`python -m bench.import_process <csv>`: the file stored and imported as the command does,
in this process alone; prints its figures as JSON (bench/imports.py)."""

import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from billing.usage_import import usage_import_run, usage_import_store  # noqa: E402


def main() -> None:
    path = Path(sys.argv[1])
    started = time.perf_counter()
    with path.open("rb") as content:
        stored = usage_import_store(name=path.name, content=content)
    report = usage_import_run(stored.pk)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    figures = {
        "rows_imported": report.rows_imported,
        "rows_refused": report.rows_refused,
        "errors": report.errors[:3],
        "seconds": seconds,
        "peak_memory_mb": peak_kb / 1024,
        "file_mb": path.stat().st_size / 1024 / 1024,
    }
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
