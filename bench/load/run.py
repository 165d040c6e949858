"""Load test: 50 account managers for 2 minutes against gunicorn + PostgreSQL on 127.0.0.1, with demo data.

Creates its own database (dropped at the end), migrates it, loads the demo data (`seed_demo`: 3 teams, 9 AMs,
330 clients, 120 days of KPIs, scores, flags, reviews), starts gunicorn, runs locust headless with
bench/load/locustfile.py and writes the figures to bench/results/load.json. Exits 1 if any request failed.

    .venv/bin/python bench/load/run.py [--users 50] [--seconds 120] [--workers 4] [--spawn-rate 5]

Environment: LOAD_PG (default postgres://postgres@127.0.0.1:5432), LOAD_DB (default crm_load).
Sends traffic to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results" / "load.json"
NAMES = ["client list", "client page", "search ?q=", "my day", "log a call (form)", "log a call (POST)"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=ROOT, env=env, check=True, text=True, **kwargs)


def count(database_url: str, sql: str, env: dict) -> int:
    return int(run("psql", database_url, "-qAtc", sql, env=env, capture_output=True).stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--spawn-rate", type=float, default=5, help="new users per second while ramping up")
    options = parser.parse_args()

    pg = os.environ.get("LOAD_PG", "postgres://postgres@127.0.0.1:5432")
    name = os.environ.get("LOAD_DB", "crm_load")
    host = pg.split("@")[-1].split(":")[0]
    assert host in {"127.0.0.1", "localhost"}, "the load test runs against this machine only"
    database_url = f"{pg}/{name}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}},
        "DATABASE_URL": database_url,
        "DJANGO_ENV": "development",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    psql = ["psql", pg + "/postgres", "-qAtc"]
    run(*psql, f"DROP DATABASE IF EXISTS {name}", env=env)
    run(*psql, f"CREATE DATABASE {name}", env=env)
    server = None
    try:
        print(f"== load: migrate and seed the demo data into {name}", flush=True)
        run(str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0", env=env)
        run(str(VENV_BIN / "python"), "manage.py", "seed_demo", env=env, stdout=subprocess.DEVNULL)
        clients = count(database_url, "SELECT count(*) FROM clients_client", env)
        calls_before = count(database_url, "SELECT count(*) FROM interactions_interaction", env)

        port = free_port()
        log = open(ROOT / "bench" / "results" / "load-gunicorn.log", "w")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "accounts_crm.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(options.workers),
             "--timeout", "60"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not start; see bench/results/load-gunicorn.log")
            time.sleep(0.2)

        print(f"== load: {options.users} users for {options.seconds}s against 127.0.0.1:{port}", flush=True)
        prefix = ROOT / "bench" / "results" / "tmp" / "load"
        prefix.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
             "--host", f"http://127.0.0.1:{port}", "-u", str(options.users), "-r", str(options.spawn_rate),
             "-t", f"{options.seconds}s", "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        calls_after = count(database_url, "SELECT count(*) FROM interactions_interaction", env)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        run(*psql, f"DROP DATABASE IF EXISTS {name}", env=env)

    with open(f"{prefix}_stats.csv") as handle:
        stats = {row["Name"]: row for row in csv.DictReader(handle)}
    with open(f"{prefix}_failures.csv") as handle:
        failures = [
            f"{row['Method']} {row['Name']}: {row['Error']} (x{row['Occurrences']})" for row in csv.DictReader(handle)
        ]

    def figures(row: dict) -> dict:
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 1),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
            "max_ms": round(float(row["Max Response Time"]), 1),
        }

    mix = [stats[n] for n in NAMES if n in stats]
    result = {
        "date": dt.date.today().isoformat(),
        "what": "AM mix through the real pages: client list, client page, search, my day, log a call (form + POST)",
        "users": options.users,
        "seconds": options.seconds,
        "think_time_s": "1-4",
        "gunicorn_workers": options.workers,
        "cpu_count": os.cpu_count(),
        "database": "PostgreSQL on 127.0.0.1",
        "clients": clients,
        "calls_logged": calls_after - calls_before,
        "total": figures(stats["Aggregated"]),
        "failures": failures,
        "pages": {n: figures(stats[n]) for n in NAMES if n in stats},
        "login": figures(stats["login"]) if "login" in stats else None,
        "mix_p95_ms_worst": max(float(row["95%"]) for row in mix),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    ok = result["total"]["failures"] == 0 and not failures and result["calls_logged"] > 0
    print("== load: " + ("no errors" if ok else "FAILED"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
