"""PostgreSQL only: health_metricvalue becomes a table partitioned by month (RANGE on date), every row kept.

The partitioned table has no PRIMARY KEY constraint, as before: Django's composite primary key
(client, metric, date) is the natural key, and the database enforces it with the unique constraint
metric_value_one_per_day, which includes the partition key (date) as PostgreSQL requires of a unique
constraint on a partitioned table. It now carries the value as a non-key column (INCLUDE), so the outlier
check of ingestion reads a client's 90 days of history from the index alone. A DEFAULT partition takes
rows of months that have no partition; kpis.partitions creates the months ahead. SQLite stays a plain table.
"""

import datetime as dt

from django.db import migrations

TABLE = "health_metricvalue"
OLD = "health_metricvalue_unpartitioned"
COLUMNS = "date, value, updated_at, client_id, metric_id"
MONTHS_AHEAD = 3  # the periodic task keeps this many months ahead from then on (KPI_PARTITIONS_AHEAD)


def _next_month(month):
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _is_partitioned(cursor):
    cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [TABLE])
    return cursor.fetchone() is not None


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _is_partitioned(cursor):
            return
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
        cursor.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT metric_value_one_per_day TO {OLD}_one_per_day")
        cursor.execute(f"ALTER INDEX IF EXISTS metric_value_date_brin RENAME TO {OLD}_date_brin")
        cursor.execute(
            f"CREATE TABLE {TABLE} (date date NOT NULL, value double precision NOT NULL,"
            " updated_at timestamp with time zone NOT NULL, client_id bigint NOT NULL, metric_id bigint NOT NULL)"
            " PARTITION BY RANGE (date)"
        )
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        cursor.execute(f"SELECT DISTINCT date_trunc('month', date)::date FROM {OLD}")
        months = {row[0] for row in cursor.fetchall()}
        month = dt.date.today().replace(day=1)
        for _ in range(MONTHS_AHEAD + 1):
            months.add(month)
            month = _next_month(month)
        for month in sorted(months):
            cursor.execute(
                f"CREATE TABLE {TABLE}_y{month.year:04d}m{month.month:02d} PARTITION OF {TABLE}"
                f" FOR VALUES FROM ('{month.isoformat()}') TO ('{_next_month(month).isoformat()}')"
            )
        # Rows first, indexes after: one sorted build per partition instead of millions of insertions.
        cursor.execute(f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD}")
        cursor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT metric_value_one_per_day"
            " UNIQUE (client_id, metric_id, date) INCLUDE (value)"
        )
        cursor.execute(f"CREATE INDEX metric_value_date_brin ON {TABLE} USING brin (date)")
        cursor.execute(f"DROP TABLE {OLD}")
        cursor.execute(f"ANALYZE {TABLE}")


def unpartition(apps, schema_editor):
    """Back to one plain table, every row kept (detached monthly tables are left as they are)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _is_partitioned(cursor):
            return
        cursor.execute(
            f"CREATE TABLE {OLD} (date date NOT NULL, value double precision NOT NULL,"
            " updated_at timestamp with time zone NOT NULL, client_id bigint NOT NULL, metric_id bigint NOT NULL)"
        )
        cursor.execute(f"INSERT INTO {OLD} ({COLUMNS}) SELECT {COLUMNS} FROM {TABLE}")
        cursor.execute(f"DROP TABLE {TABLE}")  # and its attached partitions
        cursor.execute(f"ALTER TABLE {OLD} RENAME TO {TABLE}")
        cursor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT metric_value_one_per_day UNIQUE (client_id, metric_id, date)"
        )
        cursor.execute(f"CREATE INDEX metric_value_date_brin ON {TABLE} USING brin (date)")


class Migration(migrations.Migration):
    dependencies = [("kpis", "0002_metric_range_frequency_quarantine")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
