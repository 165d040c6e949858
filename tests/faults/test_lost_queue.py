"""Redis restarts without persistence and loses the queued chunks of a run: the sweeper sends them again.

A private Redis (never the shared one), a real Celery worker, PostgreSQL, and a real SMTP server (aiosmtpd)
for the digests: the run completes with every flag exactly once and one digest per AM.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from accounts_crm.celery import app
from flags import evaluation, tasks
from flags.models import EvaluationRun, Flag, TriggerRule
from kpis import ingest
from kpis import selectors as kpi_selectors
from notifications.models import OutboxMessage
from tests.factories import ClientFactory, default_metric
from tests.faults.conftest import PrivateRedis, Service, app_env, wait_until
from tests.smtp import SmtpServer

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not django_settings.REDIS_URL or not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs REDIS_URL and PostgreSQL (set in CI by .ci/run)",
    ),
]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _queued(redis: PrivateRedis, queue: str) -> int:
    out = subprocess.run(["redis-cli", "-p", str(redis.port), "llen", queue], capture_output=True, text=True)
    return int(out.stdout.strip() or 0)


def test_chunks_lost_with_the_redis_queue_are_dispatched_again_by_the_sweeper(
    migration_metrics, services, tmp_path, settings, am_alice, am_bob
):
    day = timezone.localdate()
    orders = default_metric("orders")
    rows = []
    for i in range(12):
        owner = am_alice if i % 2 else am_bob
        client = ClientFactory(owner=owner, team=owner.team)
        for age in range(35):
            rows.append((client.pk, orders.pk, day - dt.timedelta(days=age), 30.0 if i % 3 == 0 and age < 7 else 100.0))
    ingest.upsert_values(rows)
    TriggerRule.objects.create(
        name="Orders falling",
        kind="kpi_drop",
        params={"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28},
    )
    TriggerRule.objects.create(name="Never contacted", kind="no_contact", params={"mode": "days", "days": 30})

    redis = PrivateRedis(tmp_path)
    redis.start()
    services.append(redis)
    smtp = SmtpServer().start()
    queue = f"lost-{uuid.uuid4().hex[:8]}"
    env = app_env(DATABASE_URL=_database_url(), REDIS_URL=redis.url, CELERY_QUEUE=queue, HEALTH_CHUNK_SIZE="3",
                  **smtp.env())  # fmt: skip

    # The morning run starts and its chunks are queued on Redis; no worker has taken them yet.
    settings.HEALTH_CHUNK_SIZE = 3
    run, chunks = evaluation.run_start(on_date=day)
    assert len(chunks) == 4
    with app.connection_for_write(redis.url) as broker:
        for chunk in chunks:
            tasks.evaluate_chunk.apply_async(args=[chunk.pk], connection=broker, queue=queue)
    assert _queued(redis, queue) == 4

    # Redis restarts without persistence: the queue is gone.
    redis.stop()
    redis.start()
    assert _queued(redis, queue) == 0

    worker = Service(
        [sys.executable, "-m", "celery", "-A", "accounts_crm", "worker", "--pool=prefork", "--concurrency=2",
         "-Q", queue, "--without-gossip", "--without-mingle", "--loglevel=INFO", "-n", f"{queue}@%h"],
        env=env, log=tmp_path / "worker.log",
    ).start()  # fmt: skip
    services.append(worker)
    run.refresh_from_db()
    assert (run.status, run.chunks_done) == ("running", 0)  # nothing to do for the worker: the run is stuck

    # The sweeper (beat sends it every SWEEPER_INTERVAL_SECONDS) runs on the worker, its clock past the allowance.
    later = timezone.now() + dt.timedelta(minutes=settings.EVALUATION_STALL_MINUTES + 1)
    with app.connection_for_write(redis.url) as broker:
        tasks.sweep_lost_work.apply_async(kwargs={"now": later.isoformat()}, connection=broker, queue=queue)

    def finished():
        assert worker.alive(), (tmp_path / "worker.log").read_text()[-3000:]
        current = EvaluationRun.objects.get(pk=run.pk)
        return current if current.status != "running" else None

    run = wait_until(finished, timeout=180, what="the swept run to finish on the worker")
    assert (run.status, run.chunks_done, run.chunks_total, run.errors) == ("done", 4, 4, [])
    assert run.redispatched_chunks == 4

    metrics = kpi_selectors.metric_metadata()
    specs, _ = evaluation.active_rules(metrics)
    ids = sorted({pk for c in chunks for pk in c.client_ids})
    expected = set(evaluation.find_matches(client_ids=ids, on_date=day, specs=specs, metrics=metrics))
    live = sorted(Flag.objects.filter(status__in=["open", "snoozed"]).values_list("client_id", "rule_id"))
    assert live == sorted(expected) and len(expected) == 4 + 12  # every flag exactly once
    assert run.flags_opened == len(expected)

    # The digests left once, through real SMTP.
    wait_until(lambda: len(smtp.messages) >= 2 and not OutboxMessage.objects.exclude(status="sent").exists(),
               timeout=60, what="the digests")  # fmt: skip
    with app.connection_for_write(redis.url) as broker:  # the sweeper again: nothing more is sent
        tasks.sweep_lost_work.apply_async(kwargs={"now": later.isoformat()}, connection=broker, queue=queue)
        tasks.send_daily_digests.apply_async(args=[day.isoformat()], connection=broker, queue=queue)
    wait_until(lambda: _queued(redis, queue) == 0, timeout=30, what="the worker to take the tasks")
    worker.stop()
    smtp.stop()
    assert smtp.recipients() == sorted([am_alice.email, am_bob.email])
    assert EvaluationRun.objects.get(pk=run.pk).attempt == 1
