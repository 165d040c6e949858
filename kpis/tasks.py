"""Celery tasks of the KPI app: take dates, call a service. Idempotent; acknowledged late (the one task policy)."""

from __future__ import annotations

from core.dates import day_or_today as _date
from core.tasks import crm_task
from kpis import services


@crm_task
def metric_value_partitions_maintain(on_date: str | None = None) -> dict[str, list[str]]:
    """Daily: the coming months' KPI partitions created ahead; old ones detached when a retention is set."""
    return services.metric_value_partitions_maintain(today=_date(on_date))


@crm_task
def outlier_references_refresh(client_ids: list[int], day: str) -> int:
    """After a KPI batch: the medians the next day's values of these clients will be judged by (kpis.outliers)."""
    return services.outlier_references_refresh(client_ids=client_ids, day=_date(day))
