"""Bulk KPI import from CSV files (``manage.py import_kpis``).

On PostgreSQL the file is streamed with COPY into a temporary table, checked and
upserted with set-based SQL: no Python loop per row. Elsewhere (SQLite) rows go
through the same validation as the API. Either way the file is all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import IO

import psycopg2
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from kpis import ingest

CLIENT_COLUMNS = {"client_id": "id", "client_external_id": "external", "external_id": "external", "client": "external"}
METRIC_COLUMNS = {"metric", "metric_key"}
MAX_REPORTED_ERRORS = 100


class KpiFileError(Exception):
    pass


@dataclass
class CsvImportResult:
    rows: int = 0
    written: int = 0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    client_ids: list[int] = field(default_factory=list)
    latest_date: dt.date | None = None
    held: list[tuple[int, int, dt.date, float, float]] = field(default_factory=list)  # outliers, with their median

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def _header(stream: IO[str]) -> tuple[str, list[str]]:
    first = stream.readline()
    if not first:
        raise KpiFileError(gettext("The file is empty."))
    names = [h.strip().lower() for h in next(csv.reader([first]))]
    client_cols = [n for n in names if n in CLIENT_COLUMNS]
    if len(client_cols) != 1 or not (METRIC_COLUMNS & set(names)) or "date" not in names or "value" not in names:
        raise KpiFileError(
            gettext(
                "Line 1: expected the columns client_external_id (or client_id), metric, date, value; found %(names)s."
            )
            % {"names": ", ".join(names)}
        )
    unknown = [n for n in names if n not in CLIENT_COLUMNS and n not in METRIC_COLUMNS and n not in {"date", "value"}]
    if unknown:
        raise KpiFileError(gettext("Line 1: unknown column(s) %(names)s.") % {"names": ", ".join(unknown)})
    columns = ["client" if n in CLIENT_COLUMNS else "metric" if n in METRIC_COLUMNS else n for n in names]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise KpiFileError(gettext("Line 1: more than one column for %(names)s.") % {"names": ", ".join(repeated)})
    return CLIENT_COLUMNS[client_cols[0]], columns


def import_kpi_csv(stream: IO[str], *, dry_run: bool = False, today: dt.date | None = None) -> CsvImportResult:
    client_kind, columns = _header(stream)
    latest = (today or timezone.localdate()) + dt.timedelta(days=1)
    if connection.vendor == "postgresql":
        return _import_postgres(stream, client_kind, columns, latest, dry_run)
    return _import_python(stream, client_kind, columns, latest, dry_run)


FIELDS = ("client", "metric", "date", "value")


def _record(values: list[str], columns: list[str], client_kind: str) -> dict:
    record = dict(zip(columns, values, strict=False))
    if client_kind == "id":
        ref = record.get("client", "").strip()
        record["client"] = int(ref) if ref.isdigit() else ref or None
    return record


def _import_python(stream, client_kind, columns, latest, dry_run) -> CsvImportResult:
    reader = csv.reader(stream)
    rows: list[dict] = []
    lines: list[int] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rows.append(_record(values, columns, client_kind))
            lines.append(reader.line_num + 1)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise KpiFileError(
            gettext("Line %(line)s: %(problem)s.") % {"line": reader.line_num + 1, "problem": exc}
        ) from exc
    return _import_records(rows, lines, latest, dry_run)


def _import_records(rows: list[dict], lines: list[int], latest: dt.date, dry_run: bool) -> CsvImportResult:
    """Validate with the API's rules (kpis.ingest), then upsert; all or nothing."""
    result = CsvImportResult()
    result.rows = len(rows)
    parsed, errors = ingest.validate_rows(
        rows,
        text_values=True,
        today=latest - dt.timedelta(days=1),
        labels=[gettext("line %(number)s") % {"number": n} for n in lines],
    )
    if errors:
        result.error_count = len(errors)
        result.errors = [
            gettext("Line %(line)s: %(problem)s")
            % {"line": lines[e["row"]], "problem": "; ".join(f"{k}: {v}" for k, v in e["errors"].items())}
            for e in errors[:MAX_REPORTED_ERRORS]
        ]
        return result
    keep, result.held = ingest.split_outliers(parsed)
    with transaction.atomic():
        result.written = ingest.upsert_values(keep)
        if dry_run:
            transaction.set_rollback(True)
    result.client_ids = sorted({row[0] for row in keep})
    result.latest_date = max((row[2] for row in keep), default=None)
    return result


def _copy_error(exc: Exception) -> str:
    """COPY could not read the file as CSV (a short or long line, a stray quote, a NUL byte): name the line."""
    diag = getattr(exc, "diag", None)
    message = (getattr(diag, "message_primary", None) or str(exc).splitlines()[0]).replace('"day"', '"date"')
    found = re.search(r"line (\d+)", getattr(diag, "context", None) or "")
    if found:
        return gettext("Line %(line)s: %(problem)s.") % {"line": int(found.group(1)) + 1, "problem": message}
    return f"{message}."


def _import_postgres(stream, client_kind, columns, latest, dry_run) -> CsvImportResult:
    """COPY into the staging table, then the set-based merge the batch API uses too (kpis.ingest.merge_staged).

    The happy path casts, checks and upserts every row at once; only when that gives up (a bad date or number
    somewhere, a possible outlier) are the staged rows checked one by one, with the API's rules, to name the bad
    lines and hold the outliers.
    """
    result = CsvImportResult()
    with transaction.atomic(), connection.cursor() as cursor:
        ingest.stage_create(cursor)
        stage_columns = ["day" if c == "date" else c for c in columns]
        try:
            with transaction.atomic():
                ingest.stage_copy(cursor, stream, columns=stage_columns, csv=True)
        except psycopg2.DataError as exc:
            result.error_count = 1
            result.errors = [_copy_error(exc)]
            return result
        staged = ingest.merge_staged(cursor, client_kind=client_kind, latest=latest)
        if staged is not None:
            result.rows, result.written = staged.rows, staged.written
            result.client_ids = sorted(staged.client_ids)
            result.latest_date = max(staged.dates, default=None)
            if dry_run:
                transaction.set_rollback(True)
            return result
        # Something in the file is wrong (or unusual): check it row by row with the API's own rules, which
        # name every bad line and are the same on every database; a file they accept is written by them too.
        cursor.execute(f"SELECT line + 1, client, metric, day, value FROM {ingest.STAGE} ORDER BY line")
        staged_rows = cursor.fetchall()
    rows: list[dict] = []
    lines: list[int] = []
    for line, *values in staged_rows:
        values = [value or "" for value in values]
        if any(value.strip() for value in values):
            rows.append(_record(values, list(FIELDS), client_kind))
            lines.append(line)
    return _import_records(rows, lines, latest, dry_run)


def open_text(path: str) -> IO[str]:
    handle = open(path, "rb")  # noqa: SIM115 - the caller closes it
    return io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
