"""The daily evaluation through a real Redis broker and real Celery worker processes.

Runs when REDIS_URL is set and the database is PostgreSQL (CI does both): the worker
is a separate process that must see the test's committed data.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from accounts_crm.celery import app
from flags import evaluation, tasks
from flags.models import EvaluationRun, Flag, TriggerRule
from kpis import ingest
from kpis import selectors as kpi_selectors
from tests.factories import ClientFactory, default_metric

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 11, 24)

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs REDIS_URL and PostgreSQL (set in CI by .ci/run)",
    ),
]


@pytest.fixture
def queue():
    """A queue of this test's own, so nothing else on the broker interferes."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = previous


@pytest.fixture
def start_worker(queue, tmp_path):
    workers: list[subprocess.Popen] = []
    db = connection.settings_dict

    def start(**extra_env: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_QUEUE": queue,
            "HEALTH_CHUNK_SIZE": "5",
            **extra_env,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        log = open(tmp_path / f"worker-{len(workers)}.log", "w")  # noqa: SIM115 - closed with the process
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "accounts_crm", "worker", "--pool=prefork", "--concurrency=1",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", f"{queue}-{len(workers)}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.fixture
def portfolio(am_alice):
    orders = default_metric("orders")
    rows = []
    for i in range(23):
        client = ClientFactory(owner=am_alice, team=am_alice.team)
        for age in range(35):
            falling = i % 3 == 0 and age < 7
            rows.append((client.pk, orders.pk, DAY - dt.timedelta(days=age), 30.0 if falling else 100.0))
    ingest.upsert_values(rows)
    TriggerRule.objects.create(
        name="Orders falling",
        kind="kpi_drop",
        params={"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28},
    )
    TriggerRule.objects.create(name="Never contacted", kind="no_contact", params={"mode": "days", "days": 30})


def wait_for_run(day: dt.date, timeout: float = 120.0) -> EvaluationRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = EvaluationRun.objects.filter(date=day).first()
        if run is not None and run.status != "running":
            return run
        time.sleep(0.2)
    raise AssertionError(f"The evaluation of {day} did not finish within {timeout}s")


def expected_flags(day: dt.date) -> set[tuple[int, int]]:
    metrics = kpi_selectors.metric_metadata()
    specs, _ = evaluation.active_rules(metrics)
    ids = list(EvaluationRun.objects.get(date=day).chunks.values_list("client_ids", flat=True))
    client_ids = sorted({pk for chunk in ids for pk in chunk})
    return set(evaluation.find_matches(client_ids=client_ids, on_date=day, specs=specs, metrics=metrics))


def live_flags() -> list[tuple[int, int]]:
    return sorted(Flag.objects.filter(status__in=["open", "snoozed"]).values_list("client_id", "rule_id"))


def test_daily_run_on_two_workers(portfolio, start_worker):
    start_worker()
    start_worker()
    tasks.run_daily_evaluation.delay(DAY.isoformat())
    run = wait_for_run(DAY)
    assert (run.status, run.clients, run.chunks_total, run.chunks_done) == ("done", 23, 5, 5), run.errors
    expected = expected_flags(DAY)
    assert len(expected) == 8 + 23  # 8 falling accounts; nobody was ever contacted
    assert live_flags() == sorted(expected)
    assert run.flags_opened == len(expected)


def test_a_killed_worker_redelivers_and_leaves_no_duplicate_or_missing_flag(portfolio, start_worker, tmp_path):
    marker = tmp_path / "crashed"
    start_worker(CRM_FAULT_CRASH_AT="evaluation_chunk", CRM_FAULT_MARKER=str(marker))
    tasks.run_daily_evaluation.delay(DAY.isoformat())
    run = wait_for_run(DAY)
    assert marker.exists(), "the worker process was not killed mid-chunk"
    assert (run.status, run.chunks_done, run.chunks_total) == ("done", 5, 5)
    assert live_flags() == sorted(expected_flags(DAY))
    assert run.flags_opened == len(live_flags())


def test_the_same_day_twice_gives_the_same_flags(portfolio, start_worker):
    start_worker()
    tasks.run_daily_evaluation.delay(DAY.isoformat())
    first = wait_for_run(DAY)
    flags = list(Flag.objects.order_by("pk").values_list("pk", "client_id", "rule_id", "status"))
    tasks.run_daily_evaluation.delay(DAY.isoformat())
    deadline = time.monotonic() + 120
    while EvaluationRun.objects.get(date=DAY).attempt == first.attempt and time.monotonic() < deadline:
        time.sleep(0.2)
    second = wait_for_run(DAY)
    assert second.attempt == first.attempt + 1
    assert (second.status, second.flags_opened, second.flags_closed) == ("done", 0, 0)
    assert list(Flag.objects.order_by("pk").values_list("pk", "client_id", "rule_id", "status")) == flags


def test_a_chunk_that_loses_its_database_connection_is_retried_not_a_failed_day(portfolio, start_worker, tmp_path):
    marker = tmp_path / "dropped"
    start_worker(CRM_FAULT_DROP_DB_AT="evaluation_chunk", CRM_FAULT_MARKER=str(marker), TASK_RETRY_BACKOFF_SECONDS="1")
    tasks.run_daily_evaluation.delay(DAY.isoformat())
    run = wait_for_run(DAY)
    assert marker.exists(), "no chunk lost its connection"
    assert (run.status, run.chunks_done, run.chunks_total, run.errors) == ("done", 5, 5, [])
    assert live_flags() == sorted(expected_flags(DAY))
    assert run.flags_opened == len(live_flags())


def test_two_workers_a_rerun_and_a_redelivered_digest_send_one_digest_per_user(
    portfolio, start_worker, queue, am_alice
):
    import redis

    from notifications.models import OutboxMessage
    from tests.smtp import SmtpServer

    smtp = SmtpServer().start()
    try:
        workers = [start_worker(**smtp.env()), start_worker(**smtp.env())]
        tasks.run_daily_evaluation.delay(DAY.isoformat())
        first = wait_for_run(DAY)
        deadline = time.monotonic() + 60
        while not OutboxMessage.objects.filter(status="sent").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        tasks.run_daily_evaluation.delay(DAY.isoformat())  # the day again
        while EvaluationRun.objects.get(date=DAY).attempt == first.attempt and time.monotonic() < deadline + 60:
            time.sleep(0.2)
        wait_for_run(DAY)
        tasks.send_daily_digests.delay(DAY.isoformat())  # and its digest task delivered again
        tasks.send_daily_digests.delay(DAY.isoformat())
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        deadline = time.monotonic() + 60
        while broker.llen(queue) and time.monotonic() < deadline:  # the workers took every task...
            time.sleep(0.2)
        for worker in workers:  # ...and a warm shutdown lets them finish what they hold
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    finally:
        smtp.stop()
    assert smtp.recipients() == [am_alice.email]
    assert list(OutboxMessage.objects.values_list("key", "status")) == [(f"digest:{am_alice.pk}:{DAY}", "sent")]


def test_a_worker_killed_mid_delivery_delivers_the_webhook_exactly_once(start_worker, settings, admin_ada, tmp_path):
    """The worker dies after claiming a delivery, before its request; the periodic delivery takes the row again
    once the claim's lease runs out, and the receiver gets the event once."""
    from notifications import services as notification_services
    from notifications import tasks as notification_tasks
    from notifications.models import OutboxMessage
    from tests.webhook_receiver import WebhookReceiver

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    receiver = WebhookReceiver().start()
    marker = tmp_path / "crashed"
    try:
        start_worker(
            CRM_FAULT_CRASH_AT="webhook_send", CRM_FAULT_MARKER=str(marker), WEBHOOK_ALLOW_PRIVATE_ADDRESSES="1",
            OUTBOX_LEASE_SECONDS="2",
        )  # fmt: skip
        hook, _ = notification_services.webhook_create(
            by=admin_ada, name="Ops", url=receiver.url, events=["flag.opened"]
        )
        event = notification_services.EmittedEvent(
            event="flag.opened", key="flag.opened:1:2026-11-24:", data={"flag_id": 1}, text="Ibis Travel"
        )
        with transaction.atomic():
            notification_services.webhooks_emit(events=[event])  # queued on commit, to the worker
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not OutboxMessage.objects.filter(status="sent").exists():
            if marker.exists():
                notification_tasks.outbox_deliver_due.delay()  # what beat does every minute
            time.sleep(0.5)
        assert marker.exists(), "the worker was not killed mid-delivery"
        delivery = OutboxMessage.objects.get(webhook=hook)
        assert (delivery.status, delivery.attempts) == ("sent", 2)
        assert len(receiver.requests) == 1
        assert receiver.requests[0][1]["X-CRM-Event-Id"] == str(delivery.event_id)
    finally:
        receiver.stop()
