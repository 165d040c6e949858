"""Celery tasks of the daily evaluation: take ids and dates, call a service. Idempotent; acknowledged late."""

from __future__ import annotations

from celery import group

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
