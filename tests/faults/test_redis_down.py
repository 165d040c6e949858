"""Redis goes down: the web app keeps working, and the day's evaluation runs when Redis returns.

Real processes: gunicorn (the web app) and a Celery worker, both on a private Redis that the test stops and
starts again, and the test's PostgreSQL database. Runs when REDIS_URL is set and the database is PostgreSQL
(CI sets both; .ci/run).
"""

from __future__ import annotations

import re
import sys
import uuid

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from flags.models import EvaluationRun, Flag, TriggerRule
from health.models import HealthScore
from kpis.models import MetricValue
from tests.factories import ClientFactory, default_metric
from tests.faults.conftest import (
    PrivateRedis,
    Service,
    app_env,
    free_port,
    http,
    manage,
    wait_for_web,
    wait_until,
    web_server,
)
from users import services as user_services

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs REDIS_URL and PostgreSQL (set in CI by .ci/run)",
    ),
]

PAGES = [
    "/clients/",
    "/clients/team/",
    "/my-day/",
    "/flags/",
    "/handoffs/",
    "/follow-ups/",
    "/reviews/",
    "/search/?q=Nord",
]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _session_cookie(user) -> str:
    browser = HttpClient()
    browser.force_login(user)  # a session row in the (committed) database, as after a real log-in
    return f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"


def _upload_sales_export(base: str, user) -> tuple[int, str]:
    """The import page's upload: a dry run that keeps the file (in the cache) for the confirmation step."""
    browser = requests.Session()
    name, value = _session_cookie(user).split("=", 1)
    browser.cookies.set(name, value)
    page = browser.get(f"{base}/imports/sales/", timeout=30)
    assert page.status_code == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    export = (
        "Id,AccountId,Name,StageName,Amount,CloseDate,OwnerId,Account.Name\n"
        "006F,001F,Faultline deal,Closed Won,10,2026-01-05,,Faultline AG\n"
    )
    response = browser.post(
        f"{base}/imports/sales/",
        data={"csrfmiddlewaretoken": csrf},
        files={"file": ("export.csv", export.encode(), "text/csv")},
        headers={"Referer": f"{base}/imports/sales/"},
        timeout=30,
    )
    return response.status_code, response.text


def test_redis_down_pages_and_kpi_batches_keep_working_and_the_evaluation_runs_when_it_returns(
    migration_metrics, services, tmp_path, admin_ada, am_alice, lead_lena
):
    today = timezone.localdate()
    redis = PrivateRedis(tmp_path)
    redis.start()
    services.append(redis)
    env = app_env(
        DATABASE_URL=_database_url(),
        REDIS_URL=redis.url,
        CELERY_QUEUE=f"faults-{uuid.uuid4().hex[:8]}",
        HEALTH_RESCORE_DELAY_SECONDS="0",
        HEALTH_CHUNK_SIZE="5",
    )
    clients = [ClientFactory(name=f"Nordwind {i}", owner=am_alice, team=am_alice.team) for i in range(8)]
    TriggerRule.objects.create(name="Never contacted", kind="no_contact", params={"mode": "days", "days": 30})
    token = user_services.api_token_rotate(user=admin_ada).key
    cookie = _session_cookie(am_alice)
    port = free_port()
    web = web_server(port, env=env, log=tmp_path / "web.log").start()
    services.append(web)
    wait_for_web(port, web)
    base = f"http://127.0.0.1:{port}"

    redis.stop()

    # Pages render with no Redis (sessions, locks and data live in PostgreSQL).
    for path in [*PAGES, f"/clients/{clients[0].pk}/"]:
        status, body = http("GET", base + path, headers={"Cookie": cookie})
        assert status == 200, (path, status, str(body)[:300])
    # The sales import keeps the previewed file in the cache (Redis): the upload still answers.
    status, body = _upload_sales_export(base, lead_lena)
    assert status == 200, body[-2000:]
    assert "Faultline AG" in body
    # A KPI batch is accepted and stored although its re-score cannot be queued; the failure is logged.
    orders = default_metric("orders")
    rows = [
        {"client": c.pk, "metric": "orders", "date": today.isoformat(), "value": 10 + i} for i, c in enumerate(clients)
    ]
    status, answer = http("POST", f"{base}/api/v1/kpis/values/", body=rows, headers={"Authorization": f"Token {token}"})
    assert status == 200, answer
    assert answer["written"] == len(rows)
    assert MetricValue.objects.filter(metric=orders, date=today).count() == len(rows)
    log = (tmp_path / "web.log").read_text()
    assert "in on_commit()" in log and "score_clients" in log, log[-2000:]
    # Queuing the day's evaluation fails clearly while the broker is away, and nothing half-starts.
    down = manage("evaluate_day", "--date", today.isoformat(), "--queue", env=env, timeout=180)
    assert down.returncode != 0
    assert not EvaluationRun.objects.filter(date=today).exists()

    # Redis returns, with a worker: the same command, retried, runs the evaluation.
    redis.start()
    worker = Service(
        [sys.executable, "-m", "celery", "-A", "accounts_crm", "worker", "--pool=prefork", "--concurrency=1",
         "-Q", env["CELERY_QUEUE"], "--without-gossip", "--without-mingle", "--loglevel=INFO",
         "-n", f"{env['CELERY_QUEUE']}@%h"],
        env=env, log=tmp_path / "worker.log",
    ).start()  # fmt: skip
    services.append(worker)
    up = manage("evaluate_day", "--date", today.isoformat(), "--queue", env=env, timeout=180)
    assert up.returncode == 0, up.stderr[-2000:]

    def finished():
        run = EvaluationRun.objects.filter(date=today).first()
        return run if run is not None and run.status != "running" else None

    run = wait_until(finished, timeout=180, what="the day's evaluation on the worker")
    assert (run.status, run.clients, run.chunks_done, run.chunks_total) == ("done", len(clients), 2, 2)
    # The scores the lost re-score would have written are there, and every account got its flag.
    assert HealthScore.objects.filter(date=today, client__in=clients).count() == len(clients)
    assert Flag.objects.filter(client__in=clients, status="open").count() == len(clients)
    for path in PAGES[:2]:
        assert http("GET", base + path, headers={"Cookie": cookie})[0] == 200
