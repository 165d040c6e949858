"""Monthly partitions of the KPI values table (PostgreSQL declarative partitioning; README "Storage").

``health_metricvalue`` is partitioned by RANGE (date), one partition per calendar month named
``health_metricvalue_yYYYYmMM``, plus a DEFAULT partition that catches a row whose month has no partition yet (a
value back-dated to years ago); nothing is ever refused for want of a partition. The periodic task
(kpis.tasks.metric_value_partitions_maintain) creates the coming months ahead, so new values never land in the
DEFAULT partition, and, when KPI_RETENTION_MONTHS is set, detaches the months older than that. A detached month stays
in the database as a plain table (for an archive dump, ``pg_dump -t``), no longer read by anything; dropping it is the
operator's decision (``manage.py kpi_partitions --drop NAME``).

Only PostgreSQL is partitioned: on SQLite every function here is a no-op that reports nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection, transaction

from kpis import outliers
from kpis.models import MetricValue

TABLE = MetricValue._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
_NAME = re.compile(rf"^{TABLE}_y(\d{{4}})m(\d{{2}})$")


@dataclass(frozen=True)
class Partition:
    name: str
    month: dt.date | None  # the first day of its month; None for the DEFAULT partition
    rows_estimate: int


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [TABLE])
        return cursor.fetchone() is not None


def partitions() -> list[Partition]:
    """The attached partitions, oldest month first (the DEFAULT partition last)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [TABLE],
        )
        found = []
        for name, estimate in cursor.fetchall():
            match = _NAME.match(name)
            month = dt.date(int(match.group(1)), int(match.group(2)), 1) if match else None
            found.append(Partition(name=name, month=month, rows_estimate=max(estimate, 0)))
    return sorted(found, key=lambda p: (p.month is None, p.month or dt.date.min))


def create_month(cursor, month: dt.date) -> bool:
    """Attach the partition of ``month`` (moving in any rows the DEFAULT partition holds for it); False if it exists.

    Built beside the table and attached, rather than ``CREATE TABLE … PARTITION OF``, which PostgreSQL refuses
    while the DEFAULT partition holds rows of that range."""
    name = partition_name(month)
    cursor.execute("SELECT to_regclass(%s)", [name])
    if cursor.fetchone()[0] is not None:
        return False
    low, high = month.isoformat(), next_month(month).isoformat()
    cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cursor.execute(
        f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE date >= %s AND date < %s RETURNING *)"
        f" INSERT INTO {name} SELECT * FROM moved",
        [low, high],
    )
    # The check lets ATTACH skip scanning the new table; the indexes of the parent are built on it as it attaches.
    cursor.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_range CHECK (date >= '{low}' AND date < '{high}')")
    cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ('{low}') TO ('{high}')")
    cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_range")
    return True


def ensure_months(*, first: dt.date, last: dt.date) -> list[str]:
    """Create the partitions of every month from ``first`` to ``last`` (e.g. before a backfill); the names created."""
    if not is_partitioned():
        return []
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        month = month_start(first)
        while month <= last:
            if create_month(cursor, month):
                created.append(partition_name(month))
            month = next_month(month)
    return created


def ensure_ahead(*, today: dt.date, months_ahead: int) -> list[str]:
    """Create the partitions of this month and the ``months_ahead`` following, and of every month the DEFAULT
    partition holds rows of (moving them in: it stays small); returns the names created."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT date_trunc('month', date)::date FROM {DEFAULT_PARTITION}")
        strays = sorted(row[0] for row in cursor.fetchall())
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        for month in strays:
            if create_month(cursor, month):
                created.append(partition_name(month))
    return sorted(created + ensure_months(first=today, last=add_months(month_start(today), months_ahead)))


def detach_before(*, month: dt.date) -> list[str]:
    """Detach every monthly partition older than ``month``; the tables stay (plain, unread). Returns their names."""
    detached = []
    with transaction.atomic(), connection.cursor() as cursor:
        for partition in partitions():
            if partition.month is not None and partition.month < month:
                cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}")
                detached.append(partition.name)
        if detached:
            outliers.references_forget_all()  # months of values left the table at once
    return detached


def drop_detached(name: str) -> None:
    """Drop a detached monthly table (never an attached partition)."""
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not the name of a monthly KPI partition.")
    if any(p.name == name for p in partitions()):
        raise ValueError(f"{name} is still attached: detach it first.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is None:
            raise ValueError(f"There is no table {name}.")
        cursor.execute(f"DROP TABLE {name}")
