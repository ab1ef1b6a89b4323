"""A large usage file imported in chunks (issue 16, point 3): BENCH_IMPORT_ROWS rows (1,000,000
by default, about 60 MB) of calls, SMS, data sessions and international calls of 1,000 lines,
written to a file, then stored and imported by the command in a process of its own
(bench/import_process.py), as a worker imports an uploaded file. Printed: rows per second and
the peak resident memory of that process, which must not grow with the file."""

import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from accounts.models import Boutique
from catalogue.models import Offer
from subscriptions.models import Contract, Customer, Line, MobileNumber

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
LINES = 1000
KINDS = (
    ("voice", "+21671000000", "60"),
    ("sms", "", "1"),
    ("data", "", "2.5"),
    ("international", "+33612345678", "120"),
)


def _lines() -> list[str]:
    boutique = Boutique.objects.get(code="tunis-lac")
    offer = Offer.objects.get(code="forfait-liberte-20")
    customers = Customer.objects.bulk_create(
        Customer(
            kind="individual",
            boutique=boutique,
            last_name=f"Import{i}",
            first_name="B",
            cin=f"{40000000 + i:08d}",
            street="1 rue",
            postal_code="1000",
            city="Tunis",
        )
        for i in range(LINES)
    )
    contracts = Contract.objects.bulk_create(
        Contract(customer=c, reference=f"I{i:08d}") for i, c in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"+2162{6000000 + i:07d}", status="assigned") for i in range(LINES)
    )
    Line.objects.bulk_create(
        Line(
            contract=c,
            offer=offer,
            number=n,
            status="active",
            activated_at=timezone.make_aware(datetime(2026, 9, 1, 9, 0)),
        )
        for c, n in zip(contracts, numbers, strict=True)
    )
    return [number.msisdn for number in numbers]


def _write(path: Path, numbers: list[str]) -> None:
    """October's records, each line's a second apart from the one before (all distinct)."""
    start = datetime(2026, 10, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("msisdn,started_at,kind,destination,quantity\n")
        for row in range(ROWS):
            kind, destination, quantity = KINDS[row % len(KINDS)]
            at = start + timedelta(seconds=row // LINES * 2)
            out.write(
                f"{numbers[row % LINES]},{at:%Y-%m-%dT%H:%M:%S},{kind},{destination},{quantity}\n"
            )


def run(report, median_ms) -> None:
    numbers = _lines()
    db = settings.DATABASES["default"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "usage.csv"
        _write(path, numbers)
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "PRIVATE_MEDIA_ROOT": str(Path(folder) / "private"),
            "DB_POOL": "false",
        }
        finished = subprocess.run(  # noqa: S603  (our own module)
            [sys.executable, "-m", "bench.import_process", str(path)],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    figures = json.loads(finished.stdout.splitlines()[-1])
    if figures["rows_imported"] != ROWS:
        raise RuntimeError(f"{figures['rows_imported']} of {ROWS} rows imported: {figures}")
    report("import_rows_per_s", ROWS / figures["seconds"], "rows/s")
    report("import_peak_memory_mb", figures["peak_memory_mb"], "MB")
    report("import_file_mb", figures["file_mb"], "MB")
