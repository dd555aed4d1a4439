"""CSV files that are safe to open in a spreadsheet: every CSV the product writes goes through here.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (a lot named
``=HYPERLINK(...)`` would run in the engineer's sheet), and a leading tab or carriage return can
hide one. The OWASP rule for CSV injection: such a text cell gets a single quote in front, which the
spreadsheet shows as text. A line feed and the full-width forms of the four characters are treated
the same way, as some spreadsheets read them as formulas too.

Numbers written from numeric fields (``int``, ``float``, ``Decimal``, not ``bool``) stay numbers:
``-3.5`` is a value, not a formula, and a spreadsheet must still be able to add it up. Text that
looks like a number is text and is escaped like any other (the quote is harmless there).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def csv_cell(value: Any) -> Any:
    """``value`` as it is safe to write: None as empty, numbers as they are, formula-like text quoted."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``csv_cell``."""

    def __init__(self, file: TextIO, **options: Any) -> None:
        self.writer = csv.writer(file, **options)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self.writer.writerow(csv_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)


class SafeDictWriter:
    """``csv.DictWriter`` (header from ``fieldnames``, extra keys ignored), every cell through ``csv_cell``."""

    def __init__(self, file: TextIO, fieldnames: Sequence[str], **options: Any) -> None:
        self.fieldnames = list(fieldnames)
        self.writer = SafeWriter(file, **options)

    def writeheader(self) -> Any:
        return self.writer.writerow(self.fieldnames)

    def writerow(self, row: Mapping[str, Any]) -> Any:
        return self.writer.writerow(row.get(name) for name in self.fieldnames)

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)
