"""Issue 5 benchmark: the daily evaluation (scores + 8 rules) over 10,000 clients x 180 days x 5 KPIs,
on one and on two Celery workers (real Redis broker), against the bare SQL lower bound.

Usage: .venv/bin/python bench/evaluation_bench.py [--clients 10000] [--days 180] [--chunk 500]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    results: dict = {
        "date": dt.date.today().isoformat(),
        "clients": args.clients,
        "days": args.days,
        "chunk_size": args.chunk,
        "cpu_count": os.cpu_count(),
    }
    hb.setup_database(args.clients, args.days)
    hb.django_setup()
    from django.utils import timezone

    from flags.default_rules import ensure_default_rules

    rules = ensure_default_rules()
    results["rules"] = [r.name for r in rules]
    day = timezone.localdate()
    results["bare_sql_seconds"] = round(bare_sql(day), 2)
    results["one_worker"] = timed_run(1, args.chunk, day)
    results["two_workers"] = timed_run(2, args.chunk, day)
    results["speedup_two_vs_one"] = round(results["one_worker"]["seconds"] / results["two_workers"]["seconds"], 2)
    for key in ("one_worker", "two_workers"):
        results[key]["ratio_to_bare_sql"] = round(results[key]["seconds"] / results["bare_sql_seconds"], 2)
    out = hb.ROOT / "bench" / "results" / "evaluation.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    from django.db import connection

    connection.close()
    hb.sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", hb.DB)


if __name__ == "__main__":
    main()
