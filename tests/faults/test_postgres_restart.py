"""PostgreSQL restarting during KPI ingestion loses no accepted batch.

A private PostgreSQL cluster on 127.0.0.1 (the shared one is never touched), the real web app (gunicorn, two
workers) and a backend-like client pushing KPI batches and retrying each one until it is accepted. The database
is stopped while a batch is sent (the client gets an error and retries) and restarted with `-m immediate`
(connections killed mid-transaction) while batches are in flight. In the end every batch is stored exactly
once with its values, an accepted batch survives another restart, and sending everything again writes nothing.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings

from tests.faults.conftest import PrivatePostgres, app_env, free_port, http, manage, wait_for_web, web_server

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.skipif(
        not settings.REDIS_URL or not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs REDIS_URL and PostgreSQL (set in CI by .ci/run)",
    ),
]

CLIENTS = 25
DAYS_PER_BATCH = 10
METRICS = ["orders", "revenue"]  # 25 clients x 2 metrics x 10 days = 500 rows per batch
FIRST_DAY = dt.date(2026, 1, 1)

SEED = """
from rest_framework.authtoken.models import Token
from clients.models import Client
from users.models import Role, User
admin = User.objects.create_user("kpi_feed", password="x-unused-x", role=Role.ADMIN, is_staff=True)
ids = [
    Client.objects.create(name=f"Fault client {i}", external_id=f"FAULT-{i}", status="active").pk
    for i in range(CLIENT_COUNT)
]
print(Token.objects.create(user=admin).key, *ids)
""".replace("CLIENT_COUNT", str(CLIENTS))


def batch(index: int, client_ids: list[int]) -> list[dict]:
    days = [FIRST_DAY + dt.timedelta(days=index * DAYS_PER_BATCH + d) for d in range(DAYS_PER_BATCH)]
    return [
        # Plausible daily values (1,000-1,600): a jump of 20x the client's median would be held for review
        # as an outlier (kpis quarantine), which is not what this test is about.
        {"client": c, "metric": m, "date": day.isoformat(), "value": float(1000 + index * 50 + n)}
        for n, (c, m, day) in enumerate((c, m, day) for c in client_ids for m in METRICS for day in days)
    ]


class Feed:
    """The company backend: sends a batch, and on any error sends the same batch again until it is accepted."""

    def __init__(self, url: str, token: str):
        self.url, self.headers = url, {"Authorization": f"Token {token}"}
        self.failures: list[tuple[int, int]] = []  # (batch, status) of every refused or failed attempt

    def send(self, index: int, rows: list[dict], *, attempts: int = 200) -> dict:
        for _ in range(attempts):
            status, answer = http("POST", self.url, body=rows, headers=self.headers, timeout=60)
            if status == 200:
                return answer
            assert status in {0, 500, 502, 503}, (status, answer)  # the database was away: retry
            self.failures.append((index, status))
            threading.Event().wait(0.25)  # the client's back-off between retries
        raise AssertionError(f"batch {index} was never accepted")


def test_postgres_restarting_during_kpi_ingestion_loses_no_accepted_batch(services, tmp_path):
    pg = PrivatePostgres(tmp_path)
    services.append(pg)
    pg.init()
    env = app_env(DATABASE_URL=pg.url, REDIS_URL="", CELERY_TASK_ALWAYS_EAGER="1", HEALTH_RESCORE_DELAY_SECONDS="0")
    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    seeded = manage("shell", "-v", "0", "-c", SEED, env=env)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    token, *ids = seeded.stdout.split()
    client_ids = [int(pk) for pk in ids]
    port = free_port()
    web = web_server(port, env=env, log=tmp_path / "web.log")
    services.append(web.start())
    wait_for_web(port, web)
    feed = Feed(f"http://127.0.0.1:{port}/api/v1/kpis/values/", token)
    batches = [batch(i, client_ids) for i in range(12)]

    # 1. Normal operation.
    for i in range(3):
        assert feed.send(i, batches[i])["written"] == len(batches[i])

    # 2. The database is down while a batch is sent: the client gets an error, retries, and gets through once
    #    the database is back.
    pg.stop()
    status, _ = http("POST", feed.url, body=batches[3], headers=feed.headers, timeout=60)
    assert status in {500, 503}, status
    assert http("GET", f"http://127.0.0.1:{port}/healthz")[0] == 503
    restarter = threading.Thread(target=pg.start)
    restarter.start()
    feed.send(3, batches[3])
    restarter.join()

    # 3. Restarts that kill connections in the middle of batches being written.
    done = threading.Event()

    def restart_while_sending():
        for _ in range(3):
            if done.is_set():
                return
            pg.restart(mode="immediate")

    sender_results: dict[int, dict] = {}

    def send_rest():
        for i in range(4, len(batches)):
            sender_results[i] = feed.send(i, batches[i])
        done.set()

    sender = threading.Thread(target=send_rest)
    sender.start()
    restart_while_sending()
    sender.join(timeout=600)
    assert not sender.is_alive() and sorted(sender_results) == list(range(4, len(batches)))

    # Every batch is stored exactly once, with its values; accepted means durable (another restart).
    pg.restart(mode="immediate")
    expected = {(r["client"], r["metric"], r["date"]): r["value"] for rows in batches for r in rows}
    table = "health_metricvalue"
    count, total = pg.psql(f"SELECT count(*), sum(value) FROM {table}").split("|")
    assert int(count) == len(expected) == 12 * CLIENTS * len(METRICS) * DAYS_PER_BATCH
    assert float(total) == sum(expected.values())
    stored = dict(
        ((int(c), m, d), float(v))
        for c, m, d, v in (
            line.split("|")
            for line in pg.psql(
                f"SELECT v.client_id, m.key, v.date, v.value FROM {table} v JOIN health_metric m ON m.id = v.metric_id"
            ).splitlines()
        )
    )
    assert stored == expected

    # Retrying was idempotent: everything sent again writes nothing.
    print(f"attempts refused while the database restarted: {feed.failures}")
    wait_for_web(port, web)
    for i, rows in enumerate(batches):
        assert feed.send(i, rows)["written"] == 0
