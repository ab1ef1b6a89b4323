"""CSV files the portal exports, safe to open in a spreadsheet (issue 16, point 3): a text cell
that starts with `=`, `+`, `-`, `@` (or a tab or carriage return) would be read as a formula,
so it is written with a leading apostrophe. Numbers are written as they are."""

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer, each text cell neutralised."""

    def __init__(self, output) -> None:
        self._writer = csv.writer(output)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
