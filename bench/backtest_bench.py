"""Issue 12 benchmark: the back-test of one rule ("Orders falling", 7 days against the 28 before) over 365 days
for 10,000 clients, in one process (what one worker does), against the bare SQL that computes the same windows
for every client and day in one query.

Data (its own PostgreSQL database, created and dropped): 10,000 clients and 40 AMs (generate_kpi_bench_data),
then 400 days of daily orders from dashboards/simulation.py (churn follows causes with a lag), churns written
through the lifecycle service.

Usage: .venv/bin/python bench/backtest_bench.py [--clients 10000] [--days 365]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import health_bench as hb

hb.DB = "crm_bench_backtest"
hb.DB_URL = f"postgres://postgres@127.0.0.1:5432/{hb.DB}"
hb.ENV["DATABASE_URL"] = hb.DB_URL
SEED = 12


def write_orders(days: int) -> dict:
    """The simulated orders of every bench client, by COPY; churns through the lifecycle service."""
    from django.db import connection, transaction
    from django.utils import timezone

    from clients.models import Client, ClientStatus, ClientStatusChange
    from clients.services import client_status_change
    from dashboards import simulation
    from kpis.models import Metric, MetricValue
    from users.models import Role, User

    today = timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    clients = list(Client.objects.filter(external_id__startswith="BENCH-").order_by("pk"))
    stories = simulation.simulate(seed=SEED, clients=len(clients), days=days)
    orders = Metric.objects.get(key="orders")
    rng = random.Random(SEED)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MetricValue._meta.db_table}")
        buffer = io.StringIO()
        count = 0
        for client, story in zip(clients, stories, strict=True):
            for index in range(story.first_day, days):
                if not story.live(index):
                    break
                if story.reports(index):
                    day = first + dt.timedelta(days=index)
                    value = simulation.orders_on(story, index, day.weekday(), rng)
                    buffer.write(
                        f"{client.pk}\t{orders.pk}\t{day.isoformat()}\t{value}\t{timezone.now().isoformat()}\n"
                    )
                    count += 1
        buffer.seek(0)
        cursor.cursor.copy_expert(
            f"COPY {MetricValue._meta.db_table} (client_id, metric_id, date, value, updated_at) FROM STDIN", buffer
        )
        cursor.execute(f"ANALYZE {MetricValue._meta.db_table}")
    admin, _ = User.objects.get_or_create(username="bench_admin", defaults={"role": Role.ADMIN})
    ClientStatusChange.objects.bulk_create(
        [ClientStatusChange(client=c, status=ClientStatus.ACTIVE, effective_on=first - dt.timedelta(days=400))
         for c in clients], batch_size=5000,
    )  # fmt: skip
    churned = 0
    with transaction.atomic():
        for client, story in zip(clients, stories, strict=True):
            if story.churn_day is not None:
                client_status_change(
                    client=client, by=admin, status=ClientStatus.CHURNED,
                    effective_on=first + dt.timedelta(days=story.churn_day), churn_reason=story.churn_reason or "other",
                    today=today,
                )  # fmt: skip
                churned += 1
    return {"values": count, "churned": churned, "seconds": round(time.perf_counter() - started, 1)}


def bare_sql(days: int) -> float:
    """Every client's 7-day and previous-28-day order sums and counts, for every day of the period: one query."""
    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT client_id, date,
                   sum(value) OVER w7, count(*) OVER w7,
                   sum(value) OVER w28, count(*) OVER w28
            FROM health_metricvalue
            WHERE metric_id = (SELECT id FROM health_metric WHERE key = 'orders') AND date > %s::date - 35
            WINDOW w7 AS (PARTITION BY client_id ORDER BY date
                          RANGE BETWEEN INTERVAL '6 days' PRECEDING AND CURRENT ROW),
                   w28 AS (PARTITION BY client_id ORDER BY date
                           RANGE BETWEEN INTERVAL '34 days' PRECEDING AND INTERVAL '7 days' PRECEDING)
            """,
            [start],
        )
        rows = 0
        while batch := cursor.fetchmany(100_000):
            rows += len(batch)
    return time.perf_counter() - started


def timed_backtest(days: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from flags import backtest, evaluation
    from flags.default_rules import ensure_default_rules
    from kpis import selectors as kpi_selectors

    rule = next(r for r in ensure_default_rules() if r.name == "Orders falling")
    spec = evaluation.rule_spec(rule, kpi_selectors.metric_metadata())
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        result = backtest.backtest(spec=spec, user=None, days=days, until=timezone.localdate(), horizon_days=90)
    seconds = time.perf_counter() - started
    figures = backtest.summary(result)
    return {
        "rule": rule.name,
        "seconds": round(seconds, 2),
        "queries": queries,
        "queries_per_day": round(queries / days, 1),
        "clients_checked": result.clients_checked,
        "warnings": result.warnings,
        "precision": figures["precision"],
        "base_rate": figures["base_rate"],
        "lift": figures["lift"],
        "recall": figures["recall"],
        "churns": figures["churns"],
        "flags_per_am_week": figures["flags_per_am_week"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    history = args.days + 35
    results: dict = {
        "date": dt.date.today().isoformat(),
        "clients": args.clients,
        "days": args.days,
        "cpu_count": os.cpu_count(),
        "load_average_before_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }
    hb.setup_database(args.clients, 1)
    hb.django_setup()
    try:
        results["data"] = write_orders(history)
        results["bare_sql_seconds"] = round(bare_sql(args.days), 2)
        results["one_worker"] = timed_backtest(args.days)
        results["ratio_to_bare_sql"] = round(results["one_worker"]["seconds"] / results["bare_sql_seconds"], 2)
        results["target_seconds"] = 60
        results["load_average_after_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
        out = hb.ROOT / "bench" / "results" / "backtest.json"
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))
    finally:
        from django.db import connection

        connection.close()
        hb.sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", hb.DB)


if __name__ == "__main__":
    main()
