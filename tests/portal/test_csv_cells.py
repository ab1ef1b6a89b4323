"""Issue 16, point 3: a CSV the portal exports has no cell a spreadsheet reads as a formula."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from lib.csv_cells import SafeCsvWriter


@pytest.mark.parametrize("cell", ["=1+1", "+21620100001", "-2", "@SUM(A1)", "\t=x", "\r=x"])
def test_a_text_cell_starting_a_formula_is_neutralised(cell):
    output = io.StringIO()
    SafeCsvWriter(output).writerow([cell, "plain", Decimal("-5.000")])
    [row] = list(csv.reader(io.StringIO(output.getvalue())))
    assert row == ["'" + cell, "plain", "-5.000"]


def test_every_csv_the_project_writes_goes_through_the_safe_writer():
    """The CSV exports (today the recharge codes for the printer) write with SafeCsvWriter: no
    module but lib/csv_cells.py makes a csv writer of its own."""
    root = Path(__file__).resolve().parents[2]
    skipped = {".venv", "tests", "bench", "staticfiles", "var", "build"}
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    own = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not skipped & set(path.relative_to(root).parts)
        and writers.search(path.read_text(encoding="utf-8"))
    ]
    assert own == ["lib/csv_cells.py"]
