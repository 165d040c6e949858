"""Celery tasks: take ids and dates, call a service. Idempotent; acknowledged late."""

from __future__ import annotations

from celery import group
from django.conf import settings

from clients.models import MANAGED_STATUSES, Client
from core.dates import day_or_today as _date
from core.tasks import crm_task
from health import services


@crm_task
def score_clients(client_ids: list[int], on_date: str | None = None) -> int:
    return services.health_scores_compute(on_date=_date(on_date), client_ids=client_ids)


@crm_task
def score_clients_when_due(on_date: str | None = None) -> int:
    """The debounced re-score after KPI batches: every client whose score of that day is due, in one go."""
    return services.health_rescores_run(on_date=_date(on_date))


@crm_task
def score_all_clients(on_date: str | None = None) -> int:
    """Split all live clients into chunks that any worker can take."""
    day = _date(on_date).isoformat()
    live = Client.objects.filter(archived_at__isnull=True, status__in=MANAGED_STATUSES)
    ids = list(live.order_by("pk").values_list("pk", flat=True))
    size = settings.HEALTH_CHUNK_SIZE
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    group(score_clients.s(chunk, day) for chunk in chunks).apply_async()
    return len(chunks)


@crm_task
def calibrate_model(job_id: int) -> None:
    """The model page's calibration (active model or a draft), off the request."""
    services.health_calibration_run(job_id=job_id)
