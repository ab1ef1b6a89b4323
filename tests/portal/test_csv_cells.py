"""Issue 16, point 3: a CSV the portal exports has no cell a spreadsheet reads as a formula."""

import csv
import io
from decimal import Decimal

import pytest

from lib.csv_cells import SafeCsvWriter


@pytest.mark.parametrize("cell", ["=1+1", "+21620100001", "-2", "@SUM(A1)", "\t=x", "\r=x"])
def test_a_text_cell_starting_a_formula_is_neutralised(cell):
    output = io.StringIO()
    SafeCsvWriter(output).writerow([cell, "plain", Decimal("-5.000")])
    [row] = list(csv.reader(io.StringIO(output.getvalue())))
    assert row == ["'" + cell, "plain", "-5.000"]
