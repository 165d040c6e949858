"""Issue 5 benchmark: the daily evaluation (scores + 8 rules) over 10,000 clients x 180 days x 5 KPIs,
on one and on two Celery workers (real Redis broker), against the bare SQL lower bound.

Usage: .venv/bin/python bench/evaluation_bench.py [--sizes 2500,10000] [--days 180] [--chunk 500]

For each size (a database of its own, created and dropped): the old bound (the windows read, one query per window),
the new lower bound (ONE SQL statement computing every default rule's condition for every client of the day), the
evaluation on one and on two workers, seconds per 1,000 clients and the peak RSS of each worker process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import health_bench as hb

QUEUE = "bench-evaluation"
REDIS = "redis://127.0.0.1:6379/14"


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def _peak_rss_mb(pid: int) -> float | None:
    """VmHWM: the process's peak resident set (the prefork child that ran the chunks)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def start_workers(count: int, chunk: int) -> list[subprocess.Popen]:
    env = {**hb.ENV, "REDIS_URL": REDIS, "CELERY_QUEUE": QUEUE, "HEALTH_CHUNK_SIZE": str(chunk)}
    return [
        subprocess.Popen(
            [hb.PY, "-m", "celery", "-A", "accounts_crm", "worker", "--pool=prefork", "--concurrency=1",
             "--loglevel=WARNING", "--without-gossip", "--without-mingle", "-n", f"bench{i}@%h"],
            cwd=hb.ROOT, env=env,
        )
        for i in range(count)
    ]  # fmt: skip


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=60)


def timed_run(workers: int, chunk: int, day: dt.date) -> dict:
    from django.db import connection

    from accounts_crm.celery import app
    from flags.models import EvaluationRun, Flag
    from health.models import HealthScore

    Flag.objects.all().delete()
    EvaluationRun.objects.filter(date=day).delete()
    HealthScore.objects.filter(date=day).delete()
    connection.close()
    app.conf.broker_url = REDIS
    app.conf.task_default_queue = QUEUE
    app.conf.task_always_eager = False
    procs = start_workers(workers, chunk)
    try:
        time.sleep(3)  # let the workers connect before the clock starts (bench only)
        from flags import tasks

        tasks.run_daily_evaluation.delay(day.isoformat())
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            run = EvaluationRun.objects.filter(date=day).first()
            if run is not None and run.status != "running":
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("evaluation did not finish")
        peaks = [_peak_rss_mb(child) for proc in procs for child in _children(proc.pid)]
    finally:
        stop(procs)
    flags = Flag.objects.count()
    return {
        "workers": workers,
        "seconds": round(run.duration_seconds, 2),
        "status": run.status,
        "clients": run.clients,
        "chunks": run.chunks_total,
        "flags_opened": run.flags_opened,
        "flags_in_db": flags,
        "errors": run.errors,
        "worker_peak_rss_mb": peaks,
    }


def bare_sql(day: dt.date) -> float:
    """Read every window the model and the rules need, grouped per client and metric: the floor."""
    from django.db import connection

    from flags import evaluation, rules
    from health import selectors, services
    from kpis import selectors as kpi_selectors

    spec = selectors.model_spec(services.health_model_ensure_default())
    windows = {(n, baseline) for _, n, baseline in spec.metric_windows()}
    metric_specs, _ = evaluation.active_rules(kpi_selectors.metric_metadata())
    for rule in metric_specs:
        for _, recent, baseline in rules.windows_needed(rule.kind, rule.params):
            windows.add((recent, baseline))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for recent, baseline in sorted(windows):
            split = day - dt.timedelta(days=recent)
            cursor.execute(
                """SELECT client_id, metric_id, sum(value) FILTER (WHERE date > %s), count(*) FILTER (WHERE date > %s),
                          sum(value) FILTER (WHERE date <= %s), count(*) FILTER (WHERE date <= %s)
                   FROM health_metricvalue WHERE date > %s AND date <= %s GROUP BY client_id, metric_id""",
                [split, split, split, split, split - dt.timedelta(days=baseline), day],
            )
            cursor.fetchall()
    return time.perf_counter() - started


# The lower bound: every default rule's condition for every live client of the day, in one statement, over the
# same tables (current facts rather than facts as of the day, no coverage checks, no evidence: cheaper than the
# real thing by construction). Health rules read the day's scores, so it runs after an evaluation wrote them.
RULES_SQL = """
WITH kpi AS (
    SELECT v.client_id,
        sum(v.value) FILTER (WHERE m.key = 'orders' AND v.date > %(d)s - 7) AS o_recent,
        count(*) FILTER (WHERE m.key = 'orders' AND v.date > %(d)s - 7) AS o_recent_n,
        sum(v.value) FILTER (WHERE m.key = 'orders' AND v.date <= %(d)s - 7 AND v.date > %(d)s - 35) AS o_base,
        count(*) FILTER (WHERE m.key = 'orders' AND v.date <= %(d)s - 7 AND v.date > %(d)s - 35) AS o_base_n,
        sum(v.value) FILTER (WHERE m.key = 'revenue' AND v.date > %(d)s - 14) AS r_recent,
        count(*) FILTER (WHERE m.key = 'revenue' AND v.date > %(d)s - 14) AS r_recent_n,
        sum(v.value) FILTER (WHERE m.key = 'revenue' AND v.date <= %(d)s - 14 AND v.date > %(d)s - 70) AS r_base,
        count(*) FILTER (WHERE m.key = 'revenue' AND v.date <= %(d)s - 14 AND v.date > %(d)s - 70) AS r_base_n,
        sum(v.value) FILTER (WHERE m.key = 'late_deliveries' AND v.date > %(d)s - 7) AS late_7,
        max(v.date) AS last_seen
    FROM health_metricvalue v JOIN health_metric m ON m.id = v.metric_id
    WHERE v.date > %(d)s - 70 AND v.date <= %(d)s
    GROUP BY v.client_id
),
commitments AS (
    SELECT client_id, count(*) AS overdue FROM interactions_followup
    WHERE is_commitment AND status = 'open' AND coalesce(promised_date, due_date) < %(d)s GROUP BY 1
),
scores AS (
    SELECT client_id, max(score) FILTER (WHERE date = %(d)s) AS today,
           max(score) FILTER (WHERE date = %(d)s - 14) AS before
    FROM health_healthscore WHERE date IN (%(d)s, %(d)s - 14) GROUP BY 1
)
SELECT count(*) FILTER (WHERE orders_falling), count(*) FILTER (WHERE revenue_falling), count(*) FILTER (WHERE late),
       count(*) FILTER (WHERE contact_overdue), count(*) FILTER (WHERE health_red), count(*) FILTER (WHERE health_drop),
       count(*) FILTER (WHERE commitment_overdue), count(*) FILTER (WHERE renewal_no_review),
       count(*) FILTER (WHERE data_stopped), count(*)
FROM (
    SELECT
        k.o_recent_n > 0 AND k.o_base > 0
            AND k.o_recent < 0.65 * k.o_base / k.o_base_n * k.o_recent_n AS orders_falling,
        k.r_recent_n > 0 AND k.r_base > 0
            AND k.r_recent < 0.70 * k.r_base / k.r_base_n * k.r_recent_n AS revenue_falling,
        coalesce(k.late_7, 0) > 25 AS late,
        c.last_contact_at IS NULL
            OR %(d)s - c.last_contact_at::date > c.contact_cadence_days + 7 AS contact_overdue,
        s.today < 40 AS health_red,
        s.before - s.today >= 15 AS health_drop,
        coalesce(f.overdue, 0) > 0 AS commitment_overdue,
        c.renewal_date BETWEEN %(d)s AND %(d)s + 60
            AND (c.last_review_on IS NULL OR c.last_review_on < date_trunc('quarter', %(d)s)) AS renewal_no_review,
        k.last_seen < %(d)s - 8 AS data_stopped
    FROM clients_client c
    LEFT JOIN kpi k ON k.client_id = c.id
    LEFT JOIN commitments f ON f.client_id = c.id
    LEFT JOIN scores s ON s.client_id = c.id
    WHERE c.archived_at IS NULL AND c.status IN ('onboarding', 'active', 'paused')
) conditions
"""


def one_statement_bound(day: dt.date) -> tuple[float, list[int]]:
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(RULES_SQL, {"d": day})
        counts = list(cursor.fetchone())
        return time.perf_counter() - started, counts


def bench_size(clients: int, days: int, chunk: int) -> dict:
    hb.setup_database(clients, days)
    from django.db import connection
    from django.utils import timezone

    from flags.default_rules import ensure_default_rules

    rules = ensure_default_rules()
    day = timezone.localdate()
    result: dict = {"clients": clients, "rules": [r.name for r in rules]}
    result["windows_bound_seconds"] = round(bare_sql(day), 2)
    result["one_worker"] = timed_run(1, chunk, day)
    result["two_workers"] = timed_run(2, chunk, day)
    bound, counts = one_statement_bound(day)  # after a run: the day's scores exist
    result["one_statement_bound_seconds"] = round(bound, 3)
    result["one_statement_condition_counts"] = counts
    result["speedup_two_vs_one"] = round(result["one_worker"]["seconds"] / result["two_workers"]["seconds"], 2)
    for key in ("one_worker", "two_workers"):
        run = result[key]
        run["ratio_to_one_statement_bound"] = round(run["seconds"] / bound, 2)
        run["ratio_to_windows_bound"] = round(run["seconds"] / result["windows_bound_seconds"], 2)
        run["seconds_per_1000_clients"] = round(run["seconds"] / clients * 1000, 3)
    result["one_statement_bound_seconds_per_1000_clients"] = round(bound / clients * 1000, 4)
    print(json.dumps(result, indent=2))
    connection.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2500,10000", help="client counts, comma-separated")
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results: dict = {
        "date": dt.date.today().isoformat(),
        "days": args.days,
        "kpis": 5,
        "chunk_size": args.chunk,
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "sizes": [],
    }
    hb.django_setup()
    try:
        for clients in sizes:
            results["sizes"].append(bench_size(clients, args.days, args.chunk))
    finally:
        from django.db import connection

        connection.close()
        hb.sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", hb.DB)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out = hb.ROOT / "bench" / "results" / "evaluation.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
