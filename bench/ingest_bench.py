"""Issue 15 benchmark: KPI ingestion against COPY of the same rows into the same table.

Usage: .venv/bin/python bench/ingest_bench.py [--clients 2000] [--days 100] [--batches 3] [--csv-days 10]

Creates its own database (crm_bench_ingest, dropped at the end), generates ``clients`` x 5 KPIs x ``days`` of
history (so the outlier rule has 90 days to compare with), then for each of the last ``batches`` days
(clients x 5 = 10,000 values at 2,000 clients):

- the lower bound: COPY of that day's rows (ids, date, value, updated_at) into ``health_metricvalue`` itself,
  with its unique index, BRIN index and (when partitioned) partition routing; the rows are deleted again;
- the HTTP batch API: the same rows as one JSON body (external ids, as the backend sends them) POSTed to
  gunicorn (1 sync worker), timed from the request to the answer; then the same body again (idempotent: 0 written).
  Before each, the outlier references the worker keeps after the day before's batch are refreshed (timed apart, as
  a worker's work); the first day is also sent once without them, every median counted, as a first push is.

Then the CSV import (``manage.py import_kpis``'s service, in process) of the last ``csv_days`` days against a COPY of
the same rows into the same table. Writes bench/results/ingest.json with the lower bound beside each figure and the
load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import health_bench as hb

DB = "crm_bench_ingest"
hb.DB = DB
hb.DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
hb.ENV["DATABASE_URL"] = hb.DB_URL
hb.ENV["REDIS_URL"] = "redis://127.0.0.1:6379/13"  # the web enqueues re-scoring; no worker consumes it here
PORT = 8766


def _day_rows(cursor, day: dt.date) -> list[tuple]:
    cursor.execute(
        "SELECT v.client_id, v.metric_id, c.external_id, m.key, v.value FROM health_metricvalue v"
        " JOIN clients_client c ON c.id = v.client_id JOIN health_metric m ON m.id = v.metric_id"
        " WHERE v.date = %s ORDER BY c.id, m.id",
        [day],
    )
    return cursor.fetchall()


def _copy_text(rows: list[tuple], day: dt.date) -> str:
    stamp = dt.datetime.now(dt.UTC).isoformat()
    return "".join(f"{c}\t{m}\t{day.isoformat()}\t{v!r}\t{stamp}\n" for c, m, _, _, v in rows)


def copy_into_table(cursor, text: str) -> float:
    """The lower bound: COPY the rows into the KPI table itself (its indexes and partitions included)."""
    started = time.perf_counter()
    cursor.cursor.copy_expert(
        "COPY health_metricvalue (client_id, metric_id, date, value, updated_at) FROM STDIN", io.StringIO(text)
    )
    return time.perf_counter() - started


def _post(body: bytes, token: str) -> tuple[float, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
    started = time.perf_counter()
    conn.request(
        "POST",
        "/api/v1/kpis/values/",
        body=body,
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    response = conn.getresponse()
    answer = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {answer[:300]!r}")
    return elapsed, json.loads(answer)


def _gunicorn(workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(hb.ROOT / ".venv" / "bin" / "gunicorn"), "accounts_crm.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--timeout", "300", "--log-level", "warning"],
        env=hb.ENV, cwd=hb.ROOT,
    )  # fmt: skip
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def bench_http(results: dict, batches: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from kpis.services import outlier_references_refresh
    from users.models import Role, User

    admin, _ = User.objects.get_or_create(username="bench_admin", defaults={"role": Role.ADMIN})
    token = Token.objects.get_or_create(user=admin)[0].key
    today = timezone.localdate()
    days = [today - dt.timedelta(days=i) for i in reversed(range(batches))]
    with connection.cursor() as cursor:
        per_day = {day: _day_rows(cursor, day) for day in days}
        cursor.execute("DELETE FROM health_metricvalue WHERE date >= %s", [days[0]])
        cursor.execute("VACUUM ANALYZE health_metricvalue")
    server = _gunicorn(1)
    runs = []
    try:
        for index, day in enumerate(days):
            rows = per_day[day]
            client_ids = sorted({c for c, _, _, _, _ in rows})
            with connection.cursor() as cursor:
                with transaction.atomic():
                    copy = copy_into_table(cursor, _copy_text(rows, day))
                cursor.execute("DELETE FROM health_metricvalue WHERE date = %s", [day])
            body = json.dumps(
                {"rows": [{"client": e, "metric": k, "date": day.isoformat(), "value": v} for _, _, e, k, v in rows]}
            ).encode()
            run = {"day": day.isoformat(), "rows": len(rows), "body_bytes": len(body)}
            if index == 0:
                # Once without kept references (a first push, or one after a backfill): every median counted.
                counted, answer = _post(body, token)
                assert answer["written"] == len(rows), answer
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM health_metricvalue WHERE date = %s", [day])
                run["http_counted_seconds"] = round(counted, 4)
                run["ratio_counted_to_copy"] = round(counted / copy, 2)
            # What the worker does after the day before's batch (kpis.tasks.outlier_references_refresh), timed apart.
            started = time.perf_counter()
            kept = outlier_references_refresh(client_ids=client_ids, day=day - dt.timedelta(days=1))
            run["worker_refresh_seconds"] = round(time.perf_counter() - started, 4)
            run["references_kept"] = kept
            first, answer = _post(body, token)
            assert answer["written"] == len(rows), answer
            again, answer = _post(body, token)
            assert answer["written"] == 0, answer
            run.update(
                copy_lower_bound_seconds=round(copy, 4),
                http_seconds=round(first, 4),
                ratio_to_copy=round(first / copy, 2),
                same_batch_again_seconds=round(again, 4),
            )
            runs.append(run)
            print(runs[-1])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    results["http"] = {
        "gunicorn_workers": 1,
        "batches": runs,
        "median_ratio_to_copy": statistics.median(r["ratio_to_copy"] for r in runs),
        "median_http_seconds": statistics.median(r["http_seconds"] for r in runs),
        "median_copy_seconds": statistics.median(r["copy_lower_bound_seconds"] for r in runs),
        "median_worker_refresh_seconds": statistics.median(r["worker_refresh_seconds"] for r in runs),
    }


def bench_csv(results: dict, csv_days: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from kpis import csv_import, services

    today = timezone.localdate()
    since = today - dt.timedelta(days=csv_days)
    with tempfile.TemporaryDirectory() as tmp, connection.cursor() as cursor:
        path = os.path.join(tmp, "kpis.csv")
        rows = hb.export_csv(cursor, path, since=since)
        cursor.execute(
            "SELECT client_id, metric_id, date, value, now() FROM health_metricvalue WHERE date > %s", [since]
        )
        ids_text = "".join("\t".join(str(x) for x in row) + "\n" for row in cursor.fetchall())
        cursor.execute("DELETE FROM health_metricvalue WHERE date > %s", [since])
        cursor.execute("VACUUM ANALYZE health_metricvalue")
        with transaction.atomic():
            copy = copy_into_table(cursor, ids_text)
        cursor.execute("DELETE FROM health_metricvalue WHERE date > %s", [since])
        cursor.execute("VACUUM ANALYZE health_metricvalue")
        runs = []
        for label in ("new rows", "same file again"):
            started = time.perf_counter()
            with csv_import.open_text(path) as stream:
                result = services.metric_values_import_csv(stream=stream, rescore=False)
            elapsed = time.perf_counter() - started
            assert result.ok, result.errors
            assert result.written == (rows if label == "new rows" else 0), (label, result.written)
            runs.append({"case": label, "seconds": round(elapsed, 3), "written": result.written})
            print(runs[-1])
    results["csv"] = {
        "rows": rows,
        "seconds": runs[0]["seconds"],
        "same_file_again_seconds": runs[1]["seconds"],
        "copy_lower_bound_seconds": round(copy, 3),
        "ratio_to_copy": round(runs[0]["seconds"] / copy, 2),
    }


def explain_window(results: dict) -> None:
    """Storage: a one-day scoring window (the 28 days to today, and its 28-day baseline) reads only its months."""
    import re

    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT client_id, metric_id, sum(value), count(*)"
            " FROM health_metricvalue WHERE date > %s AND date <= %s GROUP BY 1, 2",
            [today - dt.timedelta(days=56), today],
        )
        plan = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'health_metricvalue'::regclass ORDER BY 1"
        )
        attached = [row[0] for row in cursor.fetchall()]
    scanned = sorted(set(re.findall(r"health_metricvalue_(?:y\d{4}m\d{2}|default)", "\n".join(plan))))
    print("\n".join(plan))
    results["storage"] = {
        "partitions_attached": attached,
        "window": f"{today - dt.timedelta(days=56)} < date <= {today}",
        "partitions_scanned": scanned,
        "explain": plan,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--csv-days", type=int, default=10)
    args = parser.parse_args()
    results: dict = {
        "date": dt.date.today().isoformat(),
        "clients": args.clients,
        "kpis": 5,
        "history_days": args.days,
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    hb.setup_database(args.clients, args.days)
    hb.django_setup()
    try:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM health_metricvalue")
            results["rows_in_table"] = cursor.fetchone()[0]
        explain_window(results)
        bench_http(results, args.batches)
        bench_csv(results, args.csv_days)
    finally:
        from django.db import connection

        connection.close()
        hb.sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out = hb.ROOT / "bench" / "results" / "ingest.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
