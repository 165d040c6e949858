"""Celery tasks: take ids and dates, call a service. Idempotent; acknowledged late."""

from __future__ import annotations

import datetime as dt

from celery import group, shared_task
from django.conf import settings
from django.utils import timezone

from clients.models import MANAGED_STATUSES, Client
from health import services


def _date(value: str | None) -> dt.date:
    return dt.date.fromisoformat(value) if value else timezone.localdate()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def score_clients(client_ids: list[int], on_date: str | None = None) -> int:
    return services.health_scores_compute(on_date=_date(on_date), client_ids=client_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def score_all_clients(on_date: str | None = None) -> int:
    """Split all live clients into chunks that any worker can take."""
    day = _date(on_date).isoformat()
    live = Client.objects.filter(archived_at__isnull=True, status__in=MANAGED_STATUSES)
    ids = list(live.order_by("pk").values_list("pk", flat=True))
    size = settings.HEALTH_CHUNK_SIZE
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    group(score_clients.s(chunk, day) for chunk in chunks).apply_async()
    return len(chunks)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_daily_evaluation(on_date: str | None = None) -> dict:
    """Every morning: claim the day, fan the chunks out to whichever workers are free."""
    from health import evaluation

    started = evaluation.run_start(on_date=_date(on_date))
    if started is None:
        return {"status": "already running"}
    run, chunks = started
    group(evaluate_chunk.s(chunk.pk) for chunk in chunks).apply_async()
    return {"run": run.pk, "chunks": len(chunks)}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def evaluate_chunk(chunk_id: int) -> bool:
    from health import digest, evaluation

    processed = evaluation.chunk_process(chunk_id=chunk_id)
    if processed:
        digest.queue_digests_if_run_finished(chunk_id=chunk_id)
    return processed


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_daily_digests(on_date: str | None = None) -> int:
    from health import digest

    return digest.send_daily_digests(on_date=_date(on_date))
