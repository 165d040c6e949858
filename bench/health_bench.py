"""Issue 4 benchmark: KPI ingestion and health scoring on 10,000 clients x 5 KPIs x 180 days.

Usage: .venv/bin/python bench/health_bench.py [--clients 10000] [--days 180] [--http-days 20]
Needs PostgreSQL on 127.0.0.1:5432 (trust auth) and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "crm_bench_health"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
PORT = 8765
ENV = {
    **os.environ,
    "DATABASE_URL": DB_URL,
    "REDIS_URL": "redis://127.0.0.1:6379/15",  # web enqueues re-scoring; no worker consumes it here
    "DEBUG": "0",
    "DJANGO_SETTINGS_MODULE": "accounts_crm.settings",
}
PY = str(ROOT / ".venv" / "bin" / "python")


def sh(*args: str, env=ENV, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=ROOT, check=True, text=True, **kwargs)


def manage(*args: str, capture: bool = False) -> str:
    result = sh(PY, "manage.py", *args, capture_output=capture)
    return result.stdout if capture else ""


def setup_database(clients: int, days: int) -> float:
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB)
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", DB)
    manage("migrate", "-v0")
    started = time.perf_counter()
    print(manage("generate_kpi_bench_data", "--clients", str(clients), "--days", str(days), capture=True).strip())
    return time.perf_counter() - started


def django_setup():
    os.environ.update({k: v for k, v in ENV.items() if k != "REDIS_URL"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def copy_lower_bound(cursor, csv_path: str) -> float:
    """Raw PostgreSQL COPY of the same rows into a bare table: no checks, no indexes."""
    cursor.execute("DROP TABLE IF EXISTS bench_bare")
    cursor.execute("CREATE TABLE bench_bare (client text, metric text, day date, value float8)")
    started = time.perf_counter()
    with open(csv_path) as handle:
        handle.readline()
        cursor.cursor.copy_expert("COPY bench_bare FROM STDIN WITH (FORMAT csv)", handle)
    elapsed = time.perf_counter() - started
    cursor.execute("DROP TABLE bench_bare")
    return elapsed


def export_csv(cursor, path: str, since: dt.date | None = None) -> int:
    where = "WHERE v.date > %s" if since else ""
    query = (
        "COPY (SELECT c.external_id, m.key, v.date, v.value FROM health_metricvalue v "
        "JOIN clients_client c ON c.id = v.client_id JOIN health_metric m ON m.id = v.metric_id "
        f"{where} ORDER BY v.date, c.id, m.id) TO STDOUT WITH (FORMAT csv)"
    )
    if since:
        query = cursor.mogrify(query, [since]).decode()
    with open(path, "w") as handle:
        handle.write("client_external_id,metric,date,value\n")
        cursor.cursor.copy_expert(query, handle)
    with open(path) as handle:
        return sum(1 for _ in handle) - 1


def bench_csv(results: dict) -> None:
    from django.db import connection

    with tempfile.TemporaryDirectory() as tmp, connection.cursor() as cursor:
        path = os.path.join(tmp, "kpis.csv")
        rows = export_csv(cursor, path)
        cursor.execute("TRUNCATE health_metricvalue")
        started = time.perf_counter()
        output = manage("import_kpis", path, "--no-rescore", capture=True)
        elapsed = time.perf_counter() - started
        print(output.strip())
        bare = copy_lower_bound(cursor, path)
    results["csv"] = {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "values_per_second": round(rows / elapsed),
        "copy_lower_bound_seconds": round(bare, 2),
        "copy_values_per_second": round(rows / bare),
        "ratio_to_copy": round(elapsed / bare, 2),
    }


def _post(batch: bytes, token: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
    conn.request(
        "POST",
        "/api/v1/kpis/values/",
        body=batch,
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"HTTP {response.status}: {body[:300]!r}")
    return json.loads(body)["written"]


def bench_http(results: dict, http_days: int, concurrency: int) -> None:
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from users.models import Role, User

    admin, _ = User.objects.get_or_create(username="bench_admin", defaults={"role": Role.ADMIN})
    token = Token.objects.get_or_create(user=admin)[0].key
    since = timezone.localdate() - dt.timedelta(days=http_days)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.external_id, m.key, v.date, v.value FROM health_metricvalue v "
            "JOIN clients_client c ON c.id = v.client_id JOIN health_metric m ON m.id = v.metric_id "
            "WHERE v.date > %s ORDER BY v.date, c.id, m.id",
            [since],
        )
        rows = [{"client": c, "metric": m, "date": d.isoformat(), "value": v} for c, m, d, v in cursor.fetchall()]
        cursor.execute("DELETE FROM health_metricvalue WHERE date > %s", [since])
    batches = [json.dumps(rows[i : i + 10_000]).encode() for i in range(0, len(rows), 10_000)]
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "accounts_crm.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(concurrency),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        env=ENV,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=2).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            written = sum(pool.map(lambda b: _post(b, token), batches))
        elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    with tempfile.TemporaryDirectory() as tmp, connection.cursor() as cursor:
        path = os.path.join(tmp, "http.csv")
        export_csv(cursor, path, since=since)
        bare = copy_lower_bound(cursor, path)
    assert written == len(rows), (written, len(rows))
    results["http"] = {
        "rows": len(rows),
        "batches": len(batches),
        "concurrency": concurrency,
        "gunicorn_workers": concurrency,
        "seconds": round(elapsed, 2),
        "values_per_second": round(len(rows) / elapsed),
        "copy_lower_bound_seconds": round(bare, 2),
        "copy_values_per_second": round(len(rows) / bare),
        "ratio_to_copy": round(elapsed / bare, 2),
    }
    sh("redis-cli", "-n", "15", "flushdb", capture_output=True)


def bench_scoring(results: dict) -> None:
    from django.db import connection
    from django.utils import timezone

    from health import selectors, services

    today = timezone.localdate()
    model = services.health_model_ensure_default()
    spec = selectors.model_spec(model)
    windows = sorted({n for _, n, _ in spec.metric_windows()})
    # Bare SQL lower bound: the same windows read with the same aggregates, no Python on top.
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for days in windows:
            cursor.execute(
                """SELECT client_id, metric_id,
                          sum(value) FILTER (WHERE date > %s), avg(value) FILTER (WHERE date > %s),
                          count(*) FILTER (WHERE date > %s),
                          sum(value) FILTER (WHERE date <= %s), avg(value) FILTER (WHERE date <= %s),
                          count(*) FILTER (WHERE date <= %s)
                   FROM health_metricvalue WHERE date > %s AND date <= %s GROUP BY client_id, metric_id""",
                [today - dt.timedelta(days=days)] * 6 + [today - dt.timedelta(days=2 * days), today],
            )
            cursor.fetchall()
        bare = time.perf_counter() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    scored = services.health_scores_compute(on_date=today)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    services.health_scores_compute(on_date=today)  # idempotent recompute: same rows updated
    again = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results["scoring"] = {
        "clients": scored,
        "seconds": round(elapsed, 2),
        "recompute_seconds": round(again, 2),
        "bare_sql_seconds": round(bare, 2),
        "ratio_to_bare_sql": round(elapsed / bare, 2),
        "peak_rss_mb": round(peak / 1024),
        "rss_before_mb": round(rss_before / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--http-days", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    results: dict = {
        "date": dt.date.today().isoformat(),
        "clients": args.clients,
        "days": args.days,
        "cpu_count": os.cpu_count(),
    }
    results["generate_seconds"] = round(setup_database(args.clients, args.days), 1)
    django_setup()
    bench_scoring(results)
    bench_http(results, args.http_days, args.concurrency)
    bench_csv(results)
    out = ROOT / "bench" / "results" / "health.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    from django.db import connection

    connection.close()
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB)


if __name__ == "__main__":
    main()
