"""Monthly partitions of the KPI values (PostgreSQL): the converting migration keeps every row, the upkeep creates
months ahead and moves strays out of the DEFAULT partition, retention and the command detach old months, and a
window scan reads only the months it needs. SQLite stays a plain table."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kpis import partitions, services
from kpis.models import Metric, MetricValue
from tests.factories import ClientFactory

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitioning is PostgreSQL's")


def _home(client_id: int, day: dt.date) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {partitions.TABLE} WHERE client_id = %s AND date = %s",
            [client_id, day],
        )
        return cursor.fetchone()[0]


def _values(client_id: int) -> list[tuple[dt.date, float]]:
    return sorted(MetricValue.objects.filter(client_id=client_id).values_list("date", "value"))


@pytest.fixture
def orders(db):
    return Metric.objects.get_or_create(key="orders", defaults={"name": "Orders"})[0]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_partitions_the_table_by_month_keeping_every_row_and_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    days = [dt.date(2019, 3, 4), dt.date(2026, 10, 31), dt.date(2026, 11, 1), dt.date(2026, 11, 20)]
    try:
        old = _migrate([("kpis", "0002_metric_range_frequency_quarantine")])
        assert not partitions.is_partitioned()
        client = old.get_model("clients", "Client").objects.create(name="Old Co", external_id="PART-1")
        metric = old.get_model("kpis", "Metric").objects.create(key="part_orders", name="Orders (partitions)")
        old.get_model("kpis", "MetricValue").objects.bulk_create(
            [
                old.get_model("kpis", "MetricValue")(client=client, metric=metric, date=d, value=float(i))
                for i, d in enumerate(days)
            ]
        )

        _migrate(latest)

        assert partitions.is_partitioned()
        assert _values(client.pk) == [(d, float(i)) for i, d in enumerate(days)]
        assert _home(client.pk, days[0]) == "health_metricvalue_y2019m03"  # every month with rows has its partition
        assert _home(client.pk, days[1]) == "health_metricvalue_y2026m10"
        assert _home(client.pk, days[2]) == "health_metricvalue_y2026m11"
        names = [p.name for p in partitions.partitions()]
        assert names[-1] == partitions.DEFAULT_PARTITION
        # The natural key stays unique across partitions (it includes the partition key).
        MetricValue.objects.bulk_create(
            [MetricValue(client_id=client.pk, metric_id=metric.pk, date=days[3], value=99.0)], ignore_conflicts=True
        )
        assert _values(client.pk)[-1] == (days[3], 3.0)

        _migrate([("kpis", "0002_metric_range_frequency_quarantine")])
        assert not partitions.is_partitioned()
        assert _values(client.pk) == [(d, float(i)) for i, d in enumerate(days)]
    finally:
        _migrate(latest)


@on_postgres
def test_the_upkeep_creates_months_ahead_and_moves_strays_out_of_the_default_partition(orders, settings):
    client = ClientFactory()
    stray = dt.date(2031, 8, 10)  # no partition for that month yet: the DEFAULT partition takes it
    MetricValue.objects.create(client=client, metric=orders, date=stray, value=7.0)
    assert _home(client.pk, stray) == partitions.DEFAULT_PARTITION
    settings.KPI_PARTITIONS_AHEAD = 2

    done = services.metric_value_partitions_maintain(today=dt.date(2031, 6, 15))

    assert done == {
        "created": ["health_metricvalue_y2031m06", "health_metricvalue_y2031m07", "health_metricvalue_y2031m08"],
        "detached": [],
    }
    assert _home(client.pk, stray) == "health_metricvalue_y2031m08"
    assert _values(client.pk) == [(stray, 7.0)]
    assert services.metric_value_partitions_maintain(today=dt.date(2031, 6, 16)) == {"created": [], "detached": []}


@on_postgres
def test_retention_detaches_old_months_and_the_command_drops_a_detached_one(orders, settings):
    client = ClientFactory()
    old_day, recent = dt.date(2030, 1, 15), dt.date(2031, 6, 1)
    services.metric_value_partitions_maintain(today=dt.date(2030, 1, 1))  # 2030-01 … ahead
    services.metric_value_partitions_maintain(today=recent)
    MetricValue.objects.bulk_create(
        [MetricValue(client=client, metric=orders, date=d, value=1.0) for d in (old_day, recent)]
    )
    settings.KPI_RETENTION_MONTHS = 12

    done = services.metric_value_partitions_maintain(today=recent)

    assert "health_metricvalue_y2030m01" in done["detached"]
    assert "health_metricvalue_y2030m06" not in done["detached"]  # 2030-06 is within the 12 months kept
    assert _values(client.pk) == [(recent, 1.0)]  # the detached month is no longer read …
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM health_metricvalue_y2030m01")
        assert cursor.fetchone()[0] == 1  # … but its table is still there, rows and all
    out = io.StringIO()
    call_command("kpi_partitions", "--drop", "health_metricvalue_y2030m01", stdout=out)
    assert "Dropped health_metricvalue_y2030m01." in out.getvalue()
    with pytest.raises(Exception, match="still attached"):
        call_command("kpi_partitions", "--drop", "health_metricvalue_y2031m06", stdout=io.StringIO())


@on_postgres
def test_the_command_detaches_months_before_one(orders):
    client = ClientFactory()
    services.metric_value_partitions_maintain(today=dt.date(2029, 2, 1))
    MetricValue.objects.create(client=client, metric=orders, date=dt.date(2029, 2, 3), value=5.0)
    out = io.StringIO()
    call_command("kpi_partitions", "--detach-before", "2029-03", stdout=out)
    assert "health_metricvalue_y2029m02" in out.getvalue()
    assert _values(client.pk) == []


@on_postgres
def test_a_window_of_one_day_reads_only_the_months_it_needs(orders):
    services.metric_value_partitions_maintain(today=dt.date(2028, 1, 1))  # 2028-01 … 2028-04
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN SELECT client_id, metric_id, sum(value) FROM {partitions.TABLE}"
            " WHERE date > %s AND date <= %s GROUP BY 1, 2",
            [dt.date(2028, 2, 20) - dt.timedelta(days=28), dt.date(2028, 2, 20)],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "health_metricvalue_y2028m01" in plan and "health_metricvalue_y2028m02" in plan
    assert "health_metricvalue_y2028m03" not in plan and "health_metricvalue_default" not in plan


def test_the_upkeep_runs_daily_under_the_task_policy():
    from kpis import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["kpi-partitions"]
    assert entry["task"] == "kpis.tasks.metric_value_partitions_maintain"
    assert tasks.metric_value_partitions_maintain.acks_late and tasks.metric_value_partitions_maintain.ignore_result


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the embedded default")
def test_sqlite_stays_a_plain_table(db):
    assert not partitions.is_partitioned()
    assert services.metric_value_partitions_maintain(today=dt.date(2026, 1, 1)) == {"created": [], "detached": []}
    out = io.StringIO()
    call_command("kpi_partitions", stdout=out)
    assert "not partitioned" in out.getvalue()
