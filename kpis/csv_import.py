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
from django.db import DataError, IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone

from clients.models import Client
from kpis import ingest
from kpis.models import Metric, MetricValue

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
        raise KpiFileError("The file is empty.")
    names = [h.strip().lower() for h in next(csv.reader([first]))]
    client_cols = [n for n in names if n in CLIENT_COLUMNS]
    if len(client_cols) != 1 or not (METRIC_COLUMNS & set(names)) or "date" not in names or "value" not in names:
        raise KpiFileError(
            "Line 1: expected the columns client_external_id (or client_id), metric, date, value; "
            f"found {', '.join(names)}."
        )
    unknown = [n for n in names if n not in CLIENT_COLUMNS and n not in METRIC_COLUMNS and n not in {"date", "value"}]
    if unknown:
        raise KpiFileError(f"Line 1: unknown column(s) {', '.join(unknown)}.")
    columns = ["client" if n in CLIENT_COLUMNS else "metric" if n in METRIC_COLUMNS else n for n in names]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise KpiFileError(f"Line 1: more than one column for {', '.join(repeated)}.")
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
        raise KpiFileError(f"Line {reader.line_num + 1}: {exc}.") from exc
    return _import_records(rows, lines, latest, dry_run)


def _import_records(rows: list[dict], lines: list[int], latest: dt.date, dry_run: bool) -> CsvImportResult:
    """Validate with the API's rules (kpis.ingest), then upsert; all or nothing."""
    result = CsvImportResult()
    result.rows = len(rows)
    parsed, errors = ingest.validate_rows(
        rows, text_values=True, today=latest - dt.timedelta(days=1), labels=[f"line {n}" for n in lines]
    )
    if errors:
        result.error_count = len(errors)
        result.errors = [
            f"Line {lines[e['row']]}: " + "; ".join(f"{k}: {v}" for k, v in e["errors"].items())
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
    return f"Line {int(found.group(1)) + 1}: {message}." if found else f"{message}."


def _import_postgres(stream, client_kind, columns, latest, dry_run) -> CsvImportResult:
    """COPY into a staging table, then one set-based upsert.

    The happy path casts every row at once; only when that fails (a bad date or number
    somewhere) are the staged rows checked one by one, with the API's rules, to name the bad lines.
    """
    result = CsvImportResult()
    client_table = Client._meta.db_table
    metric_table = Metric._meta.db_table
    client_join = "c.id::text = s.client" if client_kind == "id" else "c.external_id = s.client"
    joins = (
        f"FROM kpi_stage s LEFT JOIN {client_table} c ON {client_join}"
        f" LEFT JOIN {metric_table} m ON m.key = s.metric AND m.is_active"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # ON COMMIT DROP alone is not enough when an outer transaction (tests, a caller) keeps them alive.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.kpi_stage")
        cursor.execute(
            "CREATE TEMP TABLE kpi_stage (line bigserial, client text, metric text, day text, value text)"
            " ON COMMIT DROP"
        )
        stage_columns = ", ".join("day" if c == "date" else c for c in columns)
        try:
            with transaction.atomic():
                cursor.cursor.copy_expert(f"COPY kpi_stage ({stage_columns}) FROM STDIN WITH (FORMAT csv)", stream)
        except psycopg2.DataError as exc:
            result.error_count = 1
            result.errors = [_copy_error(exc)]
            return result
        if _fast_upsert(cursor, joins=joins, client_join=client_join, latest=latest, result=result):
            if dry_run:
                transaction.set_rollback(True)
            return result
        # Something in the file is wrong (or unusual): check it row by row with the API's own rules, which
        # name every bad line and are the same on every database; a file they accept is written by them too.
        cursor.execute("SELECT line + 1, client, metric, day, value FROM kpi_stage ORDER BY line")
        staged = cursor.fetchall()
    rows: list[dict] = []
    lines: list[int] = []
    for line, *values in staged:
        values = [value or "" for value in values]
        if any(value.strip() for value in values):
            rows.append(_record(values, list(FIELDS), client_kind))
            lines.append(line)
    return _import_records(rows, lines, latest, dry_run)


def _fast_upsert(cursor, *, joins: str, client_join: str, latest: dt.date, result: CsvImportResult) -> bool:
    """The happy path: cast, resolve and upsert in one statement, in index order.

    Anything wrong (an unknown client or KPI, a bad date or number, a date out of range, a
    repeated row) makes the statement fail inside its savepoint; the caller then runs the
    slower checks that name every bad line. Returns True when the file was imported.
    """
    values_table = MetricValue._meta.db_table
    # NULL for anything out of bounds: the NOT NULL columns then refuse the whole statement.
    # Only YYYY-MM-DD, as the API: PostgreSQL's own date input also takes 'yesterday', '2026-1-5' or '01/02/2026'.
    guarded_day = (
        r"CASE WHEN btrim(s.day) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN"
        " CASE WHEN s.day::date BETWEEN %s AND %s THEN s.day::date END END"
    )
    guarded_value = (
        "CASE WHEN s.value::float8 <> 'NaN'::float8 AND abs(s.value::float8) <= 1e15"
        " AND (m.min_value IS NULL OR s.value::float8 >= m.min_value)"  # the metric's valid range
        " AND (m.max_value IS NULL OR s.value::float8 <= m.max_value) THEN s.value::float8 END"
    )
    try:
        with transaction.atomic():
            if _may_hold_outliers(cursor, joins=joins):
                return False  # the row-by-row path judges each row and holds the outliers back
            # Sorting by the unique key turns millions of random index insertions into an ordered walk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(
                f"""
                INSERT INTO {values_table} (client_id, metric_id, date, value, updated_at)
                SELECT c.id, m.id, {guarded_day}, {guarded_value}, now() {joins}
                ORDER BY 1, 2, 3
                ON CONFLICT (client_id, metric_id, date) DO UPDATE
                  SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
                  WHERE {values_table}.value IS DISTINCT FROM EXCLUDED.value
                """,
                [ingest.OLDEST_DATE, latest],
            )
            result.written = cursor.rowcount
    except (DataError, IntegrityError, ProgrammingError):
        return False
    cursor.execute("SELECT count(*), max(btrim(day)) FROM kpi_stage")
    result.rows, latest_text = cursor.fetchone()
    result.latest_date = dt.date.fromisoformat(latest_text.strip()[:10]) if latest_text else None
    cursor.execute(f"SELECT DISTINCT c.id FROM kpi_stage s JOIN {Client._meta.db_table} c ON {client_join}")
    result.client_ids = sorted(row[0] for row in cursor.fetchall())
    return True


def _may_hold_outliers(cursor, *, joins: str) -> bool:
    """The outlier rule of kpis.ingest.split_outliers, set-based: is any staged value above OUTLIER_FACTOR times
    the median of its client and KPI over the 90 days before that pair's latest staged day (stored and staged
    values, the file's replacing what they overwrite)? Only a file without one stays on the fast path; the row by
    row path then holds exactly those values back."""
    values_table = MetricValue._meta.db_table
    cursor.execute(
        f"""
        WITH staged AS (
            SELECT c.id AS client_id, m.id AS metric_id, btrim(s.day)::date AS date, s.value::float8 AS value {joins}
        ),
        pairs AS (
            SELECT client_id, metric_id, max(date) AS last FROM staged
            WHERE client_id IS NOT NULL AND metric_id IS NOT NULL GROUP BY 1, 2 HAVING max(abs(value)) > %(factor)s
        ),
        ref AS (
            SELECT p.client_id, p.metric_id, v.value FROM pairs p JOIN {values_table} v
              ON v.client_id = p.client_id AND v.metric_id = p.metric_id
             AND v.date >= p.last - %(days)s AND v.date < p.last
            WHERE NOT EXISTS (
                SELECT 1 FROM staged o
                WHERE o.client_id = v.client_id AND o.metric_id = v.metric_id AND o.date = v.date
            )  -- the file replaces what it overwrites
            UNION ALL
            SELECT s.client_id, s.metric_id, s.value FROM staged s JOIN pairs p USING (client_id, metric_id)
            WHERE s.date >= p.last - %(days)s AND s.date < p.last
        ),
        med AS (
            SELECT client_id, metric_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(value)) AS median,
                   count(*) AS n
            FROM ref GROUP BY 1, 2
        )
        SELECT 1 FROM staged s JOIN med USING (client_id, metric_id)
        WHERE med.n >= %(least)s AND abs(s.value) > %(factor)s * greatest(med.median, 1) LIMIT 1
        """,
        {"factor": ingest.OUTLIER_FACTOR, "days": ingest.OUTLIER_HISTORY_DAYS, "least": ingest.OUTLIER_MIN_HISTORY},
    )
    return cursor.fetchone() is not None


def open_text(path: str) -> IO[str]:
    handle = open(path, "rb")  # noqa: SIM115 - the caller closes it
    return io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
