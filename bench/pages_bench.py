"""Issue 15 benchmark: pages at 10,000 clients, one user and to saturation, on 2 and on 4 gunicorn workers.

Pages: ``GET /api/v1/clients/?page_size=100`` (a team lead: the whole team), the client list (an AM's own, default
sort; the team list of a lead) and the client page of a client with 500 timeline entries.

Usage: .venv/bin/python bench/pages_bench.py [--clients 10000] [--days 30] [--seconds 8] [--steps 1,2,4,8,16]

Creates its own database (dropped at the end): ``clients`` clients over 40 AMs in 4 teams, ``days`` of KPIs and
scores, the default rules evaluated for today. For each worker count, each page: one user for ``seconds`` (p50/p95),
then closed-loop steps of 1, 2, 4, 8, 16 concurrent users; the saturation point is the throughput (requests per second)
of the last step whose p95 stays under 1 s, interpolated to where p95 reaches 1 s when a step passes it. The lower
bound beside each figure: ``GET /healthz`` on the same server (the cost of a request that does nothing). Only
127.0.0.1 is contacted; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboards_bench as dbench
import health_bench as hb

DB = "crm_bench_pages"
hb.DB = DB
hb.DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
hb.ENV["DATABASE_URL"] = hb.DB_URL
PORT = dbench.PORT


def _timeline(client_id: int, author_id: int, count: int) -> None:
    from django.utils import timezone

    from interactions.models import Interaction

    now = timezone.now()
    Interaction.objects.bulk_create(
        Interaction(
            client_id=client_id,
            author_id=author_id,
            kind=("call", "email", "meeting", "note")[i % 4],
            occurred_at=now - dt.timedelta(hours=i + 1),
            summary=f"Bench entry {i}",
        )
        for i in range(count)
    )


def _serve(workers: int) -> subprocess.Popen:
    env = {**hb.ENV, "REDIS_URL": ""}
    server = subprocess.Popen(
        [str(hb.ROOT / ".venv" / "bin" / "gunicorn"), "accounts_crm.wsgi:application", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--log-level", "warning"],
        env=env, cwd=hb.ROOT,
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


def saturation(paths, steps: list[int], seconds: float) -> dict:
    points = []
    for users in steps:
        point = dbench.load(paths, users, seconds)
        points.append({"users": users, **{k: point[k] for k in ("requests", "errors", "rps", "p50_ms", "p95_ms")}})
        if point["p95_ms"] > 1000:
            break
    under = [p for p in points if p["p95_ms"] <= 1000]
    over = [p for p in points if p["p95_ms"] > 1000]
    if over and under:
        a, b = under[-1], over[0]  # interpolate the rate at which p95 reaches 1 s
        share = (1000 - a["p95_ms"]) / (b["p95_ms"] - a["p95_ms"])
        rps = round(a["rps"] + share * (b["rps"] - a["rps"]), 1)
        reached = True
    else:
        rps = max((p["rps"] for p in points), default=0.0)
        reached = bool(over)
    return {"saturation_rps": rps, "p95_passed_1s": reached, "steps": points}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--steps", default="1,2,4,8,16")
    parser.add_argument("--workers", default="2,4")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    results: dict = {
        "date": dt.date.today().isoformat(),
        "clients": args.clients,
        "days": args.days,
        "timeline_entries": 500,
        "seconds_per_step": args.seconds,
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    hb.setup_database(args.clients, args.days)
    hb.django_setup()
    try:
        dbench.seed_scores_and_flags(args.days)
        from clients.models import Client
        from users.models import User

        am = User.objects.filter(username__startswith="bench_am_").order_by("username").first()
        lead = User.objects.filter(username__startswith="bench_lead_", team=am.team).first()
        busy = Client.objects.filter(owner=am).order_by("pk").first()
        _timeline(busy.pk, am.pk, 500)
        results["clients_per_am"] = Client.objects.filter(owner=am).count()
        results["clients_per_team"] = Client.objects.filter(team=lead.team).count()
        am_cookie, lead_cookie = dbench.session_cookie(am.username), dbench.session_cookie(lead.username)
        pages = {
            "api_clients_page_size_100": [(lead_cookie, "/api/v1/clients/?page_size=100")],
            "client_list_am": [(am_cookie, "/clients/")],
            "client_list_team": [(lead_cookie, "/clients/team/")],
            "client_page_500_entries": [(am_cookie, f"/clients/{busy.pk}/")],
        }
        for workers in [int(w) for w in args.workers.split(",")]:
            server = _serve(workers)
            try:
                dbench.load([p for paths in pages.values() for p in paths], 2, 3)  # warm the workers
                block: dict = {"healthz_one_user": dbench.load([(am_cookie, "/healthz")], 1, 3)}
                for name, paths in pages.items():
                    block[name] = {
                        "one_user": dbench.load(paths, 1, args.seconds),
                        "saturation": saturation(paths, steps, args.seconds),
                    }
                    print(name, workers, block[name]["one_user"], block[name]["saturation"]["saturation_rps"])
                results[f"gunicorn_{workers}_workers"] = block
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
    finally:
        from django.db import connection

        connection.close()
        hb.sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out = hb.ROOT / "bench" / "results" / "pages.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
