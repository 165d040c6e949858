"""Celery tasks of interactions: take dates, call a service. Idempotent; acknowledged late (the one task policy)."""

from __future__ import annotations

from core.dates import day_or_today as _date
from core.tasks import crm_task
from interactions import services


@crm_task
def renewal_checkpoints(on_date: str | None = None) -> int:
    """Daily: renewal checkpoints reached become the AM's follow-ups."""
    return services.renewal_checkpoints_create(today=_date(on_date))
