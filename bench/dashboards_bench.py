"""Issue 7 benchmark: my day, portfolio and global search under load.

10,000 clients, 40 AMs in 4 teams, 180 days of KPIs and scores on PostgreSQL, served by gunicorn
with 2 workers; the load comes from this separate process (threads, one keep-alive connection
each) on 127.0.0.1. Usage: .venv/bin/python bench/dashboards_bench.py [--seconds 30] [--users 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import health_bench as hb

PORT = 8766


def seed_scores_and_flags(days: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from flags import evaluation
    from flags.default_rules import ensure_default_rules
    from health import services

    model = services.health_model_ensure_default()
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO health_healthscore (client_id, date, model_id, score, band, coverage, weakest, components,
                                            computed_at)
            SELECT c.id, d::date, %s, s, CASE WHEN s >= 70 THEN 'green' WHEN s >= 40 THEN 'yellow' ELSE 'red' END,
                   1, '', '[]'::jsonb, now()
            FROM clients_client c
            CROSS JOIN generate_series(%s::date - (%s - 1), %s::date - 1, interval '1 day') AS d
            CROSS JOIN LATERAL (SELECT (30 + (c.id * 7 + extract(doy FROM d)::int) %% 65)::float8 AS s) AS x
            WHERE c.external_id LIKE 'BENCH-%%'
            ON CONFLICT (client_id, date) DO NOTHING
            """,
            [model.pk, today, days, today],
        )
        cursor.execute("ANALYZE health_healthscore")
    ensure_default_rules()
    evaluation.evaluate_day_inline(on_date=today)  # today's real scores and flags


def session_cookie(username: str) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from users.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def load(paths: list[tuple[str, str]], users: int, seconds: float) -> dict:
    """``users`` threads request random (cookie, path) pairs for ``seconds``; latencies in ms."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def user_loop(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine, errs = [], []
        while time.monotonic() < stop_at:
            cookie, path = rng.choice(paths)
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errs.append(f"{response.status} {path}")
            except (OSError, http.client.HTTPException) as exc:
                errs.append(f"{exc.__class__.__name__} {path}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(errs)

    threads = [threading.Thread(target=user_loop, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1) if ordered else 0.0

    return {
        "requests": len(ordered),
        "errors": len(errors),
        "error_samples": errors[:5],
        "rps": round(len(ordered) / seconds, 1),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "mean_ms": round(statistics.fmean(ordered), 1) if ordered else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="Keep and reuse the benchmark database (profiling).")
    args = parser.parse_args()
    results: dict = {
        "date": dt.date.today().isoformat(),
        "clients": args.clients,
        "days": args.days,
        "concurrent_users": args.users,
        "seconds_per_scenario": args.seconds,
        "gunicorn_workers": 2,
        "cpu_count": os.cpu_count(),
    }
    if not args.reuse or not _database_exists():
        hb.setup_database(args.clients, args.days)
        hb.django_setup()
        seed_scores_and_flags(args.days)
    else:
        hb.django_setup()
    from clients.models import Client
    from users.models import User

    ams = [u.username for u in User.objects.filter(username__startswith="bench_am_").order_by("username")]
    leads = [u.username for u in User.objects.filter(username__startswith="bench_lead_").order_by("username")]
    results["clients_per_am"] = Client.objects.filter(owner__username=ams[0]).count()
    results["clients_per_team"] = Client.objects.filter(team__members__username=leads[0]).distinct().count()
    names = list(Client.objects.filter(external_id__startswith="BENCH-").values_list("name", flat=True)[:2000])
    am_cookies = [session_cookie(name) for name in ams]
    lead_cookies = [session_cookie(name) for name in leads]
    rng = random.Random(7)
    searches = [f"/search/?q={rng.choice(names).split()[-1][:4]}" for _ in range(200)] + [
        f"/search/?q=BENCH-{rng.randint(1, args.clients):06d}" for _ in range(50)
    ]
    env = {**hb.ENV, "REDIS_URL": ""}
    server = subprocess.Popen(
        [str(hb.ROOT / ".venv" / "bin" / "gunicorn"), "accounts_crm.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
         "--workers", "2", "--log-level", "warning"],
        env=env, cwd=hb.ROOT,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=2).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        warm = [(c, "/my-day/") for c in am_cookies] + [(c, "/portfolio/") for c in lead_cookies]
        load(warm, 2, 5)
        scenarios = {
            "my_day": [(c, "/my-day/") for c in am_cookies],
            "portfolio": [(c, "/portfolio/") for c in lead_cookies],
            "search": [(rng.choice(am_cookies), path) for path in searches],
        }
        # Latency as one user sees it, then the same pages under 20 concurrent users (errors, queueing).
        for name, paths in scenarios.items():
            results[name] = {
                "one_user": load(paths, 1, args.seconds),
                f"{args.users}_users": load(paths, args.users, args.seconds),
            }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    out = hb.ROOT / "bench" / "results" / "dashboards.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    from django.db import connection

    connection.close()
    if not args.reuse:
        hb.sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", hb.DB)


def _database_exists() -> bool:
    found = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{hb.DB}'"],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() == "1"


if __name__ == "__main__":
    main()
