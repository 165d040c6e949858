"""The sudden-outlier rule of KPI ingestion, and the reference it is judged by, kept per client and KPI.

A value is held for review instead of written when it is more than OUTLIER_FACTOR times the median of its client
and KPI over the days before. Recomputing that median means reading 90 stored values per value received, which a
COPY of the same rows never does; so on PostgreSQL the median a daily push will need is kept (``OutlierReference``),
computed by a worker after each batch for the next day, and a batch's single value per client and KPI is judged by
one lookup. A reference is exact or absent:

- every write of a value inside a reference's window deletes the reference in the writer's transaction
  (``forget_written``, ``forget_staged``);
- writers hold a shared advisory lock for their transaction and ``references_refresh`` an exclusive one, so a
  reference is never computed from a snapshot that misses a write whose deletion already ran.

SQLite keeps no references: the row-by-row rules compute every median there.
"""

from __future__ import annotations

import datetime as dt
import statistics
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from kpis.models import MetricValue, OutlierReference

# A sudden outlier: a value more than OUTLIER_FACTOR times the client's median of that KPI over the
# OUTLIER_HISTORY_DAYS before the batch's latest day for that client and KPI (stored values and the batch's own,
# the batch's replacing what they overwrite), with a floor of one unit so a KPI that is usually 0 (incidents) may
# still reach 19; judged only with OUTLIER_MIN_HISTORY values to compare. For the daily push that is the 90 days
# before the value itself. The CSV import's set-based check (ingest._may_hold_outliers) reads the same.
OUTLIER_FACTOR = 20.0
OUTLIER_HISTORY_DAYS = 90
OUTLIER_MIN_HISTORY = 5


def outlier_reference(history: Sequence[tuple[dt.date, float]], on_date: dt.date) -> float | None:
    """The median |value| of the OUTLIER_HISTORY_DAYS before ``on_date`` (history sorted by date), or None
    when there are fewer than OUTLIER_MIN_HISTORY values to judge by. Pure."""
    dates = [d for d, _ in history]
    start = bisect_left(dates, on_date - dt.timedelta(days=OUTLIER_HISTORY_DAYS))
    end = bisect_left(dates, on_date)
    window = [abs(v) for _, v in history[start:end]]
    if len(window) < OUTLIER_MIN_HISTORY:
        return None
    return float(statistics.median(window))


def is_outlier(value: float, median: float | None) -> bool:
    return median is not None and abs(value) > OUTLIER_FACTOR * max(median, 1.0)


# One advisory lock key for "KPI values are being written" (shared) versus "references are being computed"
# (exclusive); any constant the rest of the project does not use.
_WRITES_LOCK = 7_150_001


def references_kept() -> bool:
    return connection.vendor == "postgresql"


def hold_for_writing(cursor) -> None:
    """Call in a transaction about to write KPI values: no reference is computed until it ends."""
    if references_kept():
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_WRITES_LOCK])


def forget_written(cursor, rows: Iterable[tuple[int, int, dt.date, float]]) -> None:
    """Delete the references whose window holds one of ``rows`` (client, KPI, date, value)."""
    if not references_kept():
        return
    earliest: dict[tuple[int, int], dt.date] = {}
    for client_id, metric_id, date, _value in rows:
        pair = (client_id, metric_id)
        if date < earliest.get(pair, dt.date.max):
            earliest[pair] = date
    if not earliest:
        return
    from psycopg2.extras import execute_values

    execute_values(
        cursor.cursor,  # the driver's cursor under Django's wrapper
        f"""DELETE FROM {OutlierReference._meta.db_table} r USING (VALUES %s) AS w(client_id, metric_id, day)
            WHERE r.client_id = w.client_id AND r.metric_id = w.metric_id
              AND w.day::date < r.as_of AND w.day::date >= r.as_of - {int(OUTLIER_HISTORY_DAYS)}""",
        [(c, m, d) for (c, m), d in earliest.items()],
        page_size=5000,
    )


def forget_staged(cursor, *, staged_sql: str) -> None:
    """``forget_written`` for the staged path: ``staged_sql`` selects client_id, metric_id, date of the batch."""
    cursor.execute(
        f"""DELETE FROM {OutlierReference._meta.db_table} r
            USING (SELECT client_id, metric_id, min(date) AS day FROM ({staged_sql}) s
                   WHERE client_id IS NOT NULL AND metric_id IS NOT NULL AND date IS NOT NULL GROUP BY 1, 2) w
            WHERE r.client_id = w.client_id AND r.metric_id = w.metric_id
              AND w.day < r.as_of AND w.day >= r.as_of - {int(OUTLIER_HISTORY_DAYS)}"""
    )


def references_refresh(*, client_ids: Sequence[int], day: dt.date) -> int:
    """The references for the day after ``day`` of every KPI these clients have a value on ``day``: what the next
    daily push will be judged by. Returns how many were written; 0 where references are not kept."""
    if not references_kept() or not client_ids:
        return 0
    as_of = day + dt.timedelta(days=1)
    values, references = MetricValue._meta.db_table, OutlierReference._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_WRITES_LOCK])
        cursor.execute(
            f"""
            INSERT INTO {references} (client_id, metric_id, as_of, median)
            SELECT p.client_id, p.metric_id, %(as_of)s,
                   CASE WHEN count(*) >= %(least)s
                        THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(v.value)) END
            FROM (SELECT client_id, metric_id FROM {values}
                  WHERE date = %(day)s AND client_id = ANY(%(clients)s)) p
            JOIN {values} v ON v.client_id = p.client_id AND v.metric_id = p.metric_id
             AND v.date >= %(first)s AND v.date < %(as_of)s
            GROUP BY p.client_id, p.metric_id
            ON CONFLICT (client_id, metric_id) DO UPDATE SET as_of = EXCLUDED.as_of, median = EXCLUDED.median
            """,
            {
                "as_of": as_of, "day": day, "clients": list(client_ids), "least": OUTLIER_MIN_HISTORY,
                "first": as_of - dt.timedelta(days=OUTLIER_HISTORY_DAYS),
            },
        )  # fmt: skip
        return cursor.rowcount


def references_forget_all() -> None:
    """After months of values leave the table at once (a detached partition)."""
    OutlierReference.objects.all().delete()
