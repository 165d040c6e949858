"""Celery tasks of the daily evaluation: take ids and dates, call a service. Idempotent; acknowledged late."""

from __future__ import annotations

import datetime as dt

from celery import group
from django.utils import timezone

from core.dates import day_or_today as _date
from core.tasks import crm_task


@crm_task
def run_daily_evaluation(on_date: str | None = None) -> dict:
    """Every morning: claim the day, fan the chunks out to whichever workers are free."""
    from flags import evaluation

    started = evaluation.run_start(on_date=_date(on_date))
    if started is None:
        return {"status": "already running"}
    run, chunks = started
    group(evaluate_chunk.s(chunk.pk) for chunk in chunks).apply_async()
    return {"run": run.pk, "chunks": len(chunks)}


@crm_task
def evaluate_chunk(chunk_id: int) -> bool:
    from flags import digest, evaluation

    processed = evaluation.chunk_process(chunk_id=chunk_id)
    if processed:
        digest.queue_digests_if_run_finished(chunk_id=chunk_id)
    return processed


@crm_task
def send_daily_digests(on_date: str | None = None) -> int:
    from flags import digest

    return digest.send_daily_digests(on_date=_date(on_date))


@crm_task
def sweep_lost_work(now: str | None = None) -> dict:
    """Periodic (Celery beat): start again what was lost. ``now`` (ISO) only for tests and manual catch-up."""
    from flags import evaluation
    from health import services as health_services
    from notifications import services as notification_services

    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    swept = evaluation.runs_sweep(now=moment)
    for chunk_id in swept.chunk_ids:
        evaluate_chunk.delay(chunk_id)
    if swept.start_day is not None:
        run_daily_evaluation.delay(swept.start_day.isoformat())
    outbox = notification_services.outbox_due_ids(now=moment)
    notification_services.outbox_kick(message_ids=outbox)
    return {
        "chunks": len(swept.chunk_ids),
        "started": swept.start_day.isoformat() if swept.start_day else None,
        "outbox": len(outbox),
        "rescores": health_services.health_rescores_kick_lost(now=moment),
    }


@crm_task
def refresh_rule_scorecards(on_date: str | None = None) -> int:
    """Nightly (Celery beat): every rule's back-test figures for the rules page."""
    from flags import services

    return services.rule_scorecards_refresh(today=_date(on_date))


@crm_task
def run_backtest_job(job_id: int) -> None:
    from flags import services

    services.backtest_job_run(job_id=job_id)
