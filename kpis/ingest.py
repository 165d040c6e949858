"""KPI value ingestion: validate a whole batch, then upsert it in one statement.

A batch is all or nothing: any bad row rejects the batch with per-row errors and
writes nothing. Writing the same batch twice changes nothing (the upsert only
touches rows whose value differs).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import psycopg2
from django.db import DataError, IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from clients.models import Client
from kpis import outliers
from kpis.models import Metric, MetricValue, OutlierReference
from kpis.outliers import OUTLIER_FACTOR, OUTLIER_HISTORY_DAYS, OUTLIER_MIN_HISTORY, is_outlier, outlier_reference

MAX_BATCH_ROWS = 10_000
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
OLDEST_DATE = dt.date(2000, 1, 1)


@dataclass
class IngestResult:
    received: int = 0
    written: int = 0  # rows inserted or changed
    errors: list[dict] = field(default_factory=list)  # [{"row": index, "errors": {field: message}}]
    client_ids: set[int] = field(default_factory=set)
    dates: set[dt.date] = field(default_factory=set)
    quarantined: int = 0  # outliers held for review instead of written

    @property
    def ok(self) -> bool:
        return not self.errors


def _as_date(value: object, latest: dt.date) -> dt.date:
    if not isinstance(value, str):
        raise ValueError(gettext("must be a date string YYYY-MM-DD"))
    if not _ISO_DAY.fullmatch(value.strip()):  # fromisoformat alone also takes 20260102 and week dates
        raise ValueError(gettext("%(value)s is not a valid date (YYYY-MM-DD)") % {"value": repr(value)})
    try:
        parsed = dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(gettext("%(value)s is not a valid date (YYYY-MM-DD)") % {"value": repr(value)}) from exc
    if parsed < OLDEST_DATE or parsed > latest:
        raise ValueError(
            gettext("%(day)s is outside the accepted range %(oldest)s to %(latest)s")
            % {"day": parsed, "oldest": OLDEST_DATE, "latest": latest}
        )
    return parsed


def _as_value(value: object, *, allow_text: bool) -> float:
    if isinstance(value, bool):
        raise ValueError(gettext("must be a number, not true/false"))
    if isinstance(value, str) and allow_text:
        try:
            value = float(value.strip())
        except ValueError as exc:
            raise ValueError(gettext("%(value)s is not a number") % {"value": repr(value)}) from exc
    if not isinstance(value, int | float):
        raise ValueError(gettext("must be a number"))
    number = float(value)
    if not math.isfinite(number) or abs(number) > 1e15:
        raise ValueError(gettext("must be a finite number below 1e15"))
    return number


def validate_rows(
    rows: Sequence[object],
    *,
    text_values: bool = False,
    today: dt.date | None = None,
    labels: Sequence[str] | None = None,
) -> tuple[list[tuple[int, int, dt.date, float]], list[dict]]:
    """Resolve clients (JSON number = id, string = external id) and metrics (key); check every field."""
    latest = (today or timezone.localdate()) + dt.timedelta(days=1)
    ids: set[int] = set()
    external: set[str] = set()
    keys: set[str] = set()
    for row in rows:
        if isinstance(row, dict):
            ref = row.get("client")
            if isinstance(ref, int) and not isinstance(ref, bool) and abs(ref) < 2**63:  # a database integer
                ids.add(ref)
            elif isinstance(ref, str) and "\x00" not in ref:  # PostgreSQL refuses NUL in text: it matches nothing
                external.add(ref.strip())
            if isinstance(row.get("metric"), str) and "\x00" not in row["metric"]:
                keys.add(row["metric"].strip())
    by_id = set(Client.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    by_external = (
        dict(Client.objects.filter(external_id__in=external).values_list("external_id", "pk")) if external else {}
    )
    metrics = (
        {
            key: (pk, name, low, high)
            for key, pk, name, low, high in Metric.objects.filter(key__in=keys, is_active=True).values_list(
                "key", "pk", "name", "min_value", "max_value"
            )
        }
        if keys
        else {}
    )

    parsed: list[tuple[int, int, dt.date, float]] = []
    errors: list[dict] = []
    seen: dict[tuple[int, int, dt.date], int] = {}
    for index, row in enumerate(rows):
        problems: dict[str, str] = {}
        if not isinstance(row, dict):
            errors.append(
                {"row": index, "errors": {"row": gettext("must be an object with client, metric, date, value")}}
            )
            continue
        ref = row.get("client")
        client_id = None
        if isinstance(ref, int) and not isinstance(ref, bool):
            client_id = ref if ref in by_id else None
            if client_id is None:
                problems["client"] = gettext("no client with id %(id)s") % {"id": ref}
        elif isinstance(ref, str):
            client_id = by_external.get(ref.strip())
            if client_id is None:
                problems["client"] = gettext("no client with external id %(id)s") % {"id": repr(ref)}
        else:
            problems["client"] = gettext("give the client id (number) or external id (string)")
        key = row.get("metric")
        metric = metrics.get(key.strip()) if isinstance(key, str) else None
        metric_id = metric[0] if metric else None
        if metric_id is None:
            problems["metric"] = (
                gettext("unknown metric %(key)s") % {"key": repr(key)} if key is not None else gettext("required")
            )
        try:
            date = _as_date(row.get("date"), latest)
        except ValueError as exc:
            problems["date"] = str(exc)
            date = None
        try:
            value = _as_value(row.get("value"), allow_text=text_values)
        except ValueError as exc:
            problems["value"] = str(exc)
            value = None
        if value is not None and metric is not None:
            outside = out_of_range(value, low=metric[2], high=metric[3])
            if outside:
                problems["value"] = gettext("%(value)s is outside the valid range of %(metric)s (%(range)s)") % {
                    "value": f"{value:g}",
                    "metric": metric[1],
                    "range": outside,
                }
        if not problems:
            identity = (client_id, metric_id, date)
            if identity in seen:
                first = labels[seen[identity]] if labels else gettext("row %(number)s") % {"number": seen[identity]}
                problems["row"] = gettext("same client, metric and date as %(row)s") % {"row": first}
            else:
                seen[identity] = index
        if problems:
            errors.append({"row": index, "errors": problems})
        else:
            parsed.append((client_id, metric_id, date, value))
    return parsed, errors


def out_of_range(value: float, *, low: float | None, high: float | None) -> str:
    """'' when ``value`` is in the metric's valid range, else the range in words."""
    if (low is None or value >= low) and (high is None or value <= high):
        return ""
    if low is not None and high is not None:
        return gettext("%(low)s to %(high)s") % {"low": f"{low:g}", "high": f"{high:g}"}
    if low is not None:
        return gettext("at least %(low)s") % {"low": f"{low:g}"}
    return gettext("at most %(high)s") % {"high": f"{high:g}"}


def split_outliers(
    parsed: Sequence[tuple[int, int, dt.date, float]],
) -> tuple[list[tuple[int, int, dt.date, float]], list[tuple[int, int, dt.date, float, float]]]:
    """(values to write, outliers with their median): each row is compared with the median of its client and KPI
    over the 90 days before the batch's latest day for them. One query for the stored history of the pairs that
    could hold an outlier (a value of OUTLIER_FACTOR or less never is one)."""
    pairs = {(c, m) for c, m, _, v in parsed if abs(v) > OUTLIER_FACTOR}
    if not pairs:
        return list(parsed), []
    latest: dict[tuple[int, int], dt.date] = {}
    rows_per_pair: dict[tuple[int, int], int] = defaultdict(int)
    for client_id, metric_id, date, _ in parsed:
        if (client_id, metric_id) in pairs:
            rows_per_pair[(client_id, metric_id)] += 1
            if date > latest.get((client_id, metric_id), dt.date.min):
                latest[(client_id, metric_id)] = date
    medians: dict[tuple[int, int], float | None] = {}
    if connection.vendor == "postgresql":
        # The daily push: one row per pair, so its window holds stored values only; the database takes their
        # median (the same figure) instead of sending every value of 90 days back.
        single = {pair: latest[pair] for pair in pairs if rows_per_pair[pair] == 1}
        medians.update(_stored_medians(single))
        pairs = pairs - set(single)
    if pairs:
        medians.update(_medians_with_batch(parsed, pairs, latest))
    keep, held = [], []
    for row in parsed:
        client_id, metric_id, date, value = row
        median = medians.get((client_id, metric_id))
        if is_outlier(value, median):
            held.append((client_id, metric_id, date, value, median))
        else:
            keep.append(row)
    return keep, held


def _medians_with_batch(
    parsed: Sequence[tuple[int, int, dt.date, float]], pairs: set[tuple[int, int]], latest: dict
) -> dict[tuple[int, int], float | None]:
    first = min(latest[pair] for pair in pairs) - dt.timedelta(days=OUTLIER_HISTORY_DAYS)
    last = max(latest[pair] for pair in pairs)
    series: dict[tuple[int, int], dict[dt.date, float]] = defaultdict(dict)
    for client_id, metric_id, date, value in MetricValue.objects.filter(
        client_id__in={c for c, _ in pairs}, metric_id__in={m for _, m in pairs}, date__gte=first, date__lt=last
    ).values_list("client_id", "metric_id", "date", "value"):
        if (client_id, metric_id) in pairs:
            series[(client_id, metric_id)][date] = value
    for client_id, metric_id, date, value in parsed:
        if (client_id, metric_id) in pairs:
            series[(client_id, metric_id)][date] = value  # the batch replaces what it overwrites
    return {pair: outlier_reference(sorted(series[pair].items()), latest[pair]) for pair in pairs}


def _stored_medians(last_by_pair: dict[tuple[int, int], dt.date]) -> dict[tuple[int, int], float | None]:
    """PostgreSQL: the median |value| of each pair's stored values in the OUTLIER_HISTORY_DAYS before its day."""
    if not last_by_pair:
        return {}
    table = MetricValue._meta.db_table
    marks = ", ".join(["(%s, %s, %s::date)"] * len(last_by_pair))
    params = [item for (c, m), last in last_by_pair.items() for item in (c, m, last)]
    sql = f"""
        SELECT p.c, p.m, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(v.value)), count(*)
        FROM (VALUES {marks}) AS p(c, m, last)
        JOIN {table} v ON v.client_id = p.c AND v.metric_id = p.m
         AND v.date >= p.last - {int(OUTLIER_HISTORY_DAYS)} AND v.date < p.last
        GROUP BY p.c, p.m
    """
    found: dict[tuple[int, int], float | None] = dict.fromkeys(last_by_pair)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for client_id, metric_id, median, count in cursor.fetchall():
            found[(client_id, metric_id)] = float(median) if count >= OUTLIER_MIN_HISTORY else None
    return found


_UPSERT_SUFFIX = (
    " ON CONFLICT (client_id, metric_id, date) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at"
    " WHERE {table}.value IS DISTINCT FROM EXCLUDED.value"
)


def upsert_values(values: Iterable[tuple[int, int, dt.date, float]]) -> int:
    """Insert or update; returns how many rows were inserted or changed. Caller holds the transaction."""
    table = MetricValue._meta.db_table
    now = timezone.now()
    rows = [(c, m, d, v, now) for c, m, d, v in values]
    if not rows:
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            sql = (
                f"INSERT INTO {table} (client_id, metric_id, date, value, updated_at) VALUES %s"
                + _UPSERT_SUFFIX.format(table=table)
                + " RETURNING 1"
            )
            with transaction.atomic():  # the lock and the forgetting last as long as the write
                outliers.hold_for_writing(cursor)
                written = execute_values(cursor.cursor, sql, rows, page_size=5000, fetch=True)
                outliers.forget_written(cursor, [(c, m, d, v) for c, m, d, v, _ in rows])
            return len(written)
        sql = (
            f"INSERT INTO {table} (client_id, metric_id, date, value, updated_at) VALUES (%s, %s, %s, %s, %s)"
            + _UPSERT_SUFFIX.format(table=table).replace("IS DISTINCT FROM", "IS NOT")
        )
        before = connection.connection.total_changes
        cursor.executemany(sql, rows)
        return connection.connection.total_changes - before


def delete_values(keys: Iterable[tuple[int, int, dt.date]]) -> int:
    """Delete these (client, KPI, date) values; returns how many were deleted. Caller holds the transaction."""
    keys = list(keys)
    if not keys:
        return 0
    deleted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        outliers.hold_for_writing(cursor)
        for client_id, metric_id, date in keys:
            deleted += MetricValue.objects.filter(client_id=client_id, metric_id=metric_id, date=date).delete()[0]
        outliers.forget_written(cursor, [(c, m, d, 0.0) for c, m, d in keys])
    return deleted


# --- PostgreSQL: the staged path, shared by the batch API and the CSV import ------------------------------------------
#
# Rows are COPYed as text into a temporary table, then checked and merged with set-based SQL: one statement decides
# whether any row might be a sudden outlier, one INSERT … SELECT … ON CONFLICT casts, resolves, range-checks and
# upserts every row. Anything wrong or unusual (an unknown client or KPI, a bad date or number, a date or value out of
# range, a repeated row, a possible outlier) makes the fast path give up inside its savepoint; the caller then runs
# the row-by-row rules above (validate_rows, split_outliers, upsert_values), which name every bad row and hold the
# outliers, the same on every database. The fast path only ever takes batches those rules would take whole.

STAGE = "kpi_stage"
RESOLVED = "kpi_resolved"  # the stage with ids resolved and values cast and checked
STAGE_COLUMNS = ("client", "metric", "day", "value")

# How a staged client reference is resolved: by the client's id (as the CSV spells it, or a JSON number) or by its
# external id. The CSV's id column is compared as text, as the row-by-row path reads it (no '+7' or ' 7').
CLIENT_JOINS = {
    "id": "c.id::text = s.client",
    "api_id": "c.id = s.client::bigint",
    "external": "c.external_id = s.client",
}


@dataclass
class StagedResult:
    rows: int
    written: int
    client_ids: set[int]
    dates: set[dt.date]


def stage_create(cursor) -> None:
    """The temporary table (dropped at commit; dropped first too, for an outer transaction that keeps it alive)."""
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
    cursor.execute(
        f"CREATE TEMP TABLE {STAGE} (line bigserial, client text, metric text, day text, value text) ON COMMIT DROP"
    )


def stage_copy(cursor, stream, *, columns: Sequence[str] = STAGE_COLUMNS, csv: bool = False) -> None:
    """COPY text (tab-separated, or CSV) into the stage; raises psycopg2.DataError on a malformed line."""
    options = " WITH (FORMAT csv)" if csv else ""
    cursor.cursor.copy_expert(f"COPY {STAGE} ({', '.join(columns)}) FROM STDIN{options}", stream)


def rows_as_copy_text(rows: Sequence[object], *, text_values: bool = False) -> tuple[str, str] | None:
    """The API's parsed JSON rows as COPY text and the client kind, or None when a row is anything but the plain
    shape (an object with an integer id or an external id, a metric key and a date as strings, a number); those
    batches take the row-by-row path, which names what is wrong."""
    kinds: set[type] = set()
    lines = []
    append = lines.append
    number = (int, float, str) if text_values else (int, float)
    try:
        for row in rows:
            if type(row) is not dict:
                return None
            client, metric, day, value = row["client"], row["metric"], row["date"], row["value"]
            kind = type(client)
            if (kind is not int and kind is not str) or type(metric) is not str or type(day) is not str:
                return None
            if type(value) not in number:  # type(): True and False are not numbers here
                return None
            kinds.add(kind)
            append(f"{client}\t{metric}\t{day}\t{value}\n")  # str(float) is its shortest exact repr
    except KeyError:
        return None
    if len(kinds) != 1:
        return None  # ids and external ids mixed in one batch (or no rows)
    text = "".join(lines)
    # COPY's text format gives meaning to backslashes and control characters; a batch with any takes the slow path.
    if "\\" in text or "\r" in text or text.count("\t") != 3 * len(lines) or text.count("\n") != len(lines):
        return None
    if kinds == {str} and any(r["client"] != r["client"].strip() or r["metric"] != r["metric"].strip() for r in rows):
        return None  # the row-by-row path trims references; the exact match here would not
    return text, "api_id" if kinds == {int} else "external"


def _stage_joins(client_kind: str) -> str:
    return (
        f"FROM {STAGE} s LEFT JOIN {Client._meta.db_table} c ON {CLIENT_JOINS[client_kind]}"
        f" LEFT JOIN {Metric._meta.db_table} m ON m.key = s.metric AND m.is_active"
    )


def merge_staged(cursor, *, client_kind: str, latest: dt.date) -> StagedResult | None:
    """The fast path over the staged rows: None when any row needs the row-by-row rules (nothing written then)."""
    table = MetricValue._meta.db_table
    joins = _stage_joins(client_kind)
    # NULL for anything out of bounds, which then sends the batch to the row-by-row rules.
    # Only YYYY-MM-DD, as the API: PostgreSQL's own date input also takes 'yesterday', '2026-1-5' or '01/02/2026'.
    guarded_day = (
        r"CASE WHEN s.day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN"
        " CASE WHEN s.day::date BETWEEN %(oldest)s AND %(latest)s THEN s.day::date END END"
    )
    guarded_value = (
        "CASE WHEN s.value::float8 <> 'NaN'::float8 AND abs(s.value::float8) <= 1e15"
        " AND (m.min_value IS NULL OR s.value::float8 >= m.min_value)"  # the metric's valid range
        " AND (m.max_value IS NULL OR s.value::float8 <= m.max_value) THEN s.value::float8 END"
    )
    try:
        with transaction.atomic():
            outliers.hold_for_writing(cursor)
            # Resolved once (ids, cast and checked values); the checks, the upsert and the bookkeeping read it.
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{RESOLVED}")
            cursor.execute(
                f"CREATE TEMP TABLE {RESOLVED} ON COMMIT DROP AS SELECT c.id AS client_id, m.id AS metric_id,"
                f" {guarded_day} AS date, {guarded_value} AS value {joins}",
                {"oldest": OLDEST_DATE, "latest": latest},
            )
            cursor.execute(
                f"SELECT 1 FROM {RESOLVED} WHERE client_id IS NULL OR metric_id IS NULL OR date IS NULL"
                " OR value IS NULL LIMIT 1"
            )
            if cursor.fetchone() is not None:
                return None  # an unknown client or KPI, a bad date, a value out of range: named row by row
            # The checks group and join the whole batch; the upsert sorts it by the unique key, which turns random
            # index insertions into an ordered walk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # Compiling these statements (their estimated cost passes jit_above_cost) took longer than running them.
            cursor.execute("SET LOCAL jit = off")
            if _may_hold_outliers(cursor):
                return None  # the row-by-row path judges each row and holds the outliers back
            cursor.execute(
                f"""
                INSERT INTO {table} (client_id, metric_id, date, value, updated_at)
                SELECT client_id, metric_id, date, value, now() FROM {RESOLVED}
                ORDER BY 1, 2, 3
                ON CONFLICT (client_id, metric_id, date) DO UPDATE
                  SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
                  WHERE {table}.value IS DISTINCT FROM EXCLUDED.value
                """
            )
            written = cursor.rowcount
            outliers.forget_staged(cursor, staged_sql=f"SELECT client_id, metric_id, date FROM {RESOLVED}")
    except (DataError, IntegrityError, ProgrammingError):
        return None
    cursor.execute(f"SELECT count(*), array_agg(DISTINCT date), array_agg(DISTINCT client_id) FROM {RESOLVED}")
    rows, dates, client_ids = cursor.fetchone()
    return StagedResult(rows=rows, written=written, client_ids=set(client_ids or ()), dates=set(dates or ()))


def batch_write_staged(
    rows: Sequence[object], *, text_values: bool = False, today: dt.date | None = None
) -> StagedResult | None:
    """The API's batch through the staged path (PostgreSQL); None when it needs the row-by-row rules."""
    if connection.vendor != "postgresql":
        return None
    staged = rows_as_copy_text(rows, text_values=text_values)
    if staged is None:
        return None
    text, client_kind = staged
    latest = (today or timezone.localdate()) + dt.timedelta(days=1)
    with transaction.atomic(), connection.cursor() as cursor:
        stage_create(cursor)
        try:
            with transaction.atomic():
                stage_copy(cursor, io.StringIO(text))
        except psycopg2.DataError:  # e.g. a NUL character, which PostgreSQL text refuses
            return None
        return merge_staged(cursor, client_kind=client_kind, latest=latest)


def _may_hold_outliers(cursor) -> bool:
    """Whether the staged batch may hold a sudden outlier (split_outliers decides then, row by row). Only pairs with
    a value of |v| > OUTLIER_FACTOR can hold one. A pair with one staged row on the day of its kept reference
    (kpis.outliers: the daily push) is judged exactly by that median, one lookup. Any other pair by a necessary
    condition, set-based and without a median: at least half of its reference values (the pair's stored and staged
    values in the OUTLIER_HISTORY_DAYS before its latest staged day, the staged replacing what they overwrite) are
    below |v| / OUTLIER_FACTOR, since the median is then below it too. Counting needs no sort.

    Per such pair: n and k (values below the bar) = the stored window, less the stored values a staged row
    overwrites, plus the staged values in the window; the last two only for pairs with more than one staged row
    (the daily push has one, on the pair's latest day, outside its own window), and the overwritten ones only
    looked up for staged days no later than the pair's newest stored day. One index range scan per pair.
    """
    table, kept = MetricValue._meta.db_table, OutlierReference._meta.db_table
    cursor.execute(
        f"""
        WITH pairs AS MATERIALIZED (
            SELECT client_id, metric_id, count(*) AS staged_rows, max(date) AS last,
                   max(abs(value)) AS top, max(abs(value)) / %(factor)s AS bar
            FROM {RESOLVED} GROUP BY 1, 2 HAVING max(abs(value)) > %(factor)s
        ),
        judged AS MATERIALIZED (
            SELECT p.client_id, p.metric_id, p.top, r.median FROM pairs p
            JOIN {kept} r ON r.client_id = p.client_id AND r.metric_id = p.metric_id AND r.as_of = p.last
            WHERE p.staged_rows = 1
        ),
        counted AS MATERIALIZED (
            SELECT p.* FROM pairs p
            WHERE NOT EXISTS (SELECT 1 FROM judged j WHERE j.client_id = p.client_id AND j.metric_id = p.metric_id)
        ),
        stored AS MATERIALIZED (
            SELECT p.client_id, p.metric_id, p.staged_rows, p.last, p.bar, h.n, h.k, h.newest
            FROM counted p CROSS JOIN LATERAL (
                SELECT count(*) AS n, count(*) FILTER (WHERE abs(v.value) < p.bar) AS k, max(v.date) AS newest
                FROM {table} v
                WHERE v.client_id = p.client_id AND v.metric_id = p.metric_id
                  AND v.date >= p.last - %(days)s AND v.date < p.last
            ) h
        ),
        staged_window AS (
            SELECT s.client_id, s.metric_id, count(*) AS n, count(*) FILTER (WHERE abs(s.value) < st.bar) AS k
            FROM stored st JOIN {RESOLVED} s USING (client_id, metric_id)
            WHERE st.staged_rows > 1 AND s.date >= st.last - %(days)s AND s.date < st.last
            GROUP BY 1, 2
        ),
        overwritten AS (
            -- Only staged days no later than the newest stored one can overwrite: none for a file of new days.
            SELECT s.client_id, s.metric_id, count(*) AS n, count(*) FILTER (WHERE abs(v.value) < st.bar) AS k
            FROM stored st JOIN {RESOLVED} s USING (client_id, metric_id)
            JOIN {table} v ON v.client_id = s.client_id AND v.metric_id = s.metric_id AND v.date = s.date
            WHERE st.staged_rows > 1 AND s.date >= st.last - %(days)s AND s.date < st.last AND s.date <= st.newest
            GROUP BY 1, 2
        ),
        reference AS (
            SELECT st.n - coalesce(o.n, 0) + coalesce(w.n, 0) AS n, st.k - coalesce(o.k, 0) + coalesce(w.k, 0) AS k
            FROM stored st
            LEFT JOIN staged_window w USING (client_id, metric_id)
            LEFT JOIN overwritten o USING (client_id, metric_id)
        )
        SELECT 1 FROM judged WHERE median IS NOT NULL AND top > %(factor)s * greatest(median, 1.0)
        UNION ALL
        SELECT 1 FROM reference WHERE n >= %(least)s AND 2 * k >= n
        LIMIT 1
        """,
        {"factor": OUTLIER_FACTOR, "days": OUTLIER_HISTORY_DAYS, "least": OUTLIER_MIN_HISTORY},
    )
    return cursor.fetchone() is not None
