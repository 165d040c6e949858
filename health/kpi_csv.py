"""Bulk KPI import from CSV files (``manage.py import_kpis``).

On PostgreSQL the file is streamed with COPY into a temporary table, checked and
upserted with set-based SQL: no Python loop per row. Elsewhere (SQLite) rows go
through the same validation as the API. Either way the file is all or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import IO

from django.db import DataError, IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone

from clients.models import Client
from health import ingest
from health.models import Metric, MetricValue

CLIENT_COLUMNS = {"client_id": "id", "client_external_id": "external", "external_id": "external", "client": "external"}
METRIC_COLUMNS = {"metric", "metric_key"}
MAX_REPORTED_ERRORS = 100
NUMBER_RE = r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"


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
    return CLIENT_COLUMNS[client_cols[0]], columns


def import_kpi_csv(stream: IO[str], *, dry_run: bool = False, today: dt.date | None = None) -> CsvImportResult:
    client_kind, columns = _header(stream)
    latest = (today or timezone.localdate()) + dt.timedelta(days=1)
    if connection.vendor == "postgresql":
        return _import_postgres(stream, client_kind, columns, latest, dry_run)
    return _import_python(stream, client_kind, columns, latest, dry_run)


def _import_python(stream, client_kind, columns, latest, dry_run) -> CsvImportResult:
    result = CsvImportResult()
    reader = csv.reader(stream)
    rows: list[dict] = []
    lines: list[int] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        record = dict(zip(columns, values, strict=False))
        if client_kind == "id":
            ref = record.get("client", "").strip()
            record["client"] = int(ref) if ref.isdigit() else ref or None
        rows.append(record)
        lines.append(reader.line_num + 1)
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
    with transaction.atomic():
        result.written = ingest.upsert_values(parsed)
        if dry_run:
            transaction.set_rollback(True)
    result.client_ids = sorted({row[0] for row in parsed})
    result.latest_date = max((row[2] for row in parsed), default=None)
    return result


def _import_postgres(stream, client_kind, columns, latest, dry_run) -> CsvImportResult:
    """COPY into a staging table, then one set-based check and one upsert.

    The happy path casts every row at once; only when that fails (a bad date or number
    somewhere) does the slower row-by-row validating query run, to name the bad lines.
    """
    result = CsvImportResult()
    values_table = MetricValue._meta.db_table
    client_table = Client._meta.db_table
    metric_table = Metric._meta.db_table
    client_join = "c.id::text = s.client" if client_kind == "id" else "c.external_id = s.client"
    joins = (
        f"FROM kpi_stage s LEFT JOIN {client_table} c ON {client_join}"
        f" LEFT JOIN {metric_table} m ON m.key = s.metric AND m.is_active"
    )
    date_ok = (
        "s.day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND substr(s.day, 1, 4)::int BETWEEN 2000 AND 2100 "
        "AND substr(s.day, 6, 2)::int BETWEEN 1 AND 12 AND substr(s.day, 9, 2)::int BETWEEN 1 AND "
        "extract(day from make_date(substr(s.day, 1, 4)::int, substr(s.day, 6, 2)::int, 1) "
        "+ interval '1 month - 1 day')"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # ON COMMIT DROP alone is not enough when an outer transaction (tests, a caller) keeps them alive.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.kpi_stage, pg_temp.kpi_checked")
        cursor.execute(
            "CREATE TEMP TABLE kpi_stage (line bigserial, client text, metric text, day text, value text)"
            " ON COMMIT DROP"
        )
        stage_columns = ", ".join("day" if c == "date" else c for c in columns)
        cursor.cursor.copy_expert(f"COPY kpi_stage ({stage_columns}) FROM STDIN WITH (FORMAT csv)", stream)
        if _fast_upsert(cursor, joins=joins, client_join=client_join, latest=latest, result=result):
            if dry_run:
                transaction.set_rollback(True)
            return result
        try:
            with transaction.atomic():
                cursor.execute(
                    "CREATE TEMP TABLE kpi_checked ON COMMIT DROP AS SELECT s.line + 1 AS line, s.client, s.metric,"
                    " s.day AS raw_day, s.value AS raw_value, c.id AS client_id, m.id AS metric_id,"
                    f" s.day::date AS day, s.value::float8 AS value {joins}"
                )
        except DataError:
            cursor.execute(
                "CREATE TEMP TABLE kpi_checked ON COMMIT DROP AS SELECT s.line + 1 AS line, s.client, s.metric,"
                " s.day AS raw_day, s.value AS raw_value, c.id AS client_id, m.id AS metric_id,"
                f" CASE WHEN {date_ok} THEN s.day::date END AS day,"
                f" CASE WHEN s.value ~ %s THEN s.value::float8 END AS value {joins}",
                [NUMBER_RE],
            )
        cursor.execute("SELECT count(*) FROM kpi_checked")
        result.rows = cursor.fetchone()[0]
        bad = (
            "client_id IS NULL OR metric_id IS NULL OR day IS NULL OR value IS NULL OR value = 'NaN'::float8 "
            "OR abs(value) > 1e15 OR day > %s OR day < %s"
        )
        limits = [latest, ingest.OLDEST_DATE]
        cursor.execute(f"SELECT count(*) FROM kpi_checked WHERE {bad}", limits)
        result.error_count = cursor.fetchone()[0]
        if result.error_count:
            cursor.execute(
                "SELECT line, client, metric, raw_day, raw_value, client_id IS NULL, metric_id IS NULL, day, value"
                f" FROM kpi_checked WHERE {bad} ORDER BY line LIMIT %s",
                [*limits, MAX_REPORTED_ERRORS],
            )
            for line, client, metric, raw_day, raw_value, no_client, no_metric, day, value in cursor.fetchall():
                problems = []
                if no_client:
                    problems.append(f"client: no client {client!r}")
                if no_metric:
                    problems.append(f"metric: unknown metric {metric!r}")
                if day is None:
                    problems.append(f"date: {raw_day!r} is not a valid date (YYYY-MM-DD)")
                elif day > latest or day < ingest.OLDEST_DATE:
                    problems.append(f"date: {day} is outside {ingest.OLDEST_DATE} to {latest}")
                if value is None or value != value or abs(value) > 1e15:
                    problems.append(f"value: {raw_value!r} is not a finite number")
                result.errors.append(f"Line {line}: " + "; ".join(problems))
            return result
        try:
            with transaction.atomic():
                cursor.execute(
                    f"""
                    INSERT INTO {values_table} (client_id, metric_id, date, value, updated_at)
                    SELECT client_id, metric_id, day, value, now() FROM kpi_checked
                    ON CONFLICT (client_id, metric_id, date) DO UPDATE
                      SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
                      WHERE {values_table}.value IS DISTINCT FROM EXCLUDED.value
                    """
                )
                result.written = cursor.rowcount
        except (ProgrammingError, IntegrityError, DataError):
            # "ON CONFLICT DO UPDATE command cannot affect row a second time": the file repeats a row.
            cursor.execute(
                "SELECT min(line), max(line) FROM kpi_checked GROUP BY client_id, metric_id, day"
                " HAVING count(*) > 1 ORDER BY min(line) LIMIT %s",
                [MAX_REPORTED_ERRORS],
            )
            duplicates = cursor.fetchall()
            if not duplicates:
                raise
            result.error_count = len(duplicates)
            result.errors = [f"Line {last}: same client, metric and date as line {first}" for first, last in duplicates]
            return result
        cursor.execute("SELECT array_agg(DISTINCT client_id), max(day) FROM kpi_checked")
        client_ids, result.latest_date = cursor.fetchone()
        result.client_ids = sorted(client_ids or [])
        if dry_run:
            transaction.set_rollback(True)
    return result


def _fast_upsert(cursor, *, joins: str, client_join: str, latest: dt.date, result: CsvImportResult) -> bool:
    """The happy path: cast, resolve and upsert in one statement, in index order.

    Anything wrong (an unknown client or KPI, a bad date or number, a date out of range, a
    repeated row) makes the statement fail inside its savepoint; the caller then runs the
    slower checks that name every bad line. Returns True when the file was imported.
    """
    values_table = MetricValue._meta.db_table
    # NULL for anything out of bounds: the NOT NULL columns then refuse the whole statement.
    guarded_day = "CASE WHEN s.day::date BETWEEN %s AND %s THEN s.day::date END"
    guarded_value = (
        "CASE WHEN s.value::float8 <> 'NaN'::float8 AND abs(s.value::float8) <= 1e15 THEN s.value::float8 END"
    )
    try:
        with transaction.atomic():
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
    cursor.execute("SELECT count(*), max(day) FROM kpi_stage")
    result.rows, latest_text = cursor.fetchone()
    result.latest_date = dt.date.fromisoformat(latest_text.strip()[:10]) if latest_text else None
    cursor.execute(f"SELECT DISTINCT c.id FROM kpi_stage s JOIN {Client._meta.db_table} c ON {client_join}")
    result.client_ids = sorted(row[0] for row in cursor.fetchall())
    return True


def open_text(path: str) -> IO[str]:
    handle = open(path, "rb")  # noqa: SIM115 - the caller closes it
    return io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
