"""Celery tasks: take dates, call a service. Idempotent; acknowledged late (the one task policy)."""

from __future__ import annotations

from contracts import services
from core.dates import day_or_today as _date
from core.tasks import crm_task


@crm_task
def renewals_open_due(on_date: str | None = None) -> int:
    """Expire contracts that ended, then open a renewal for each contract approaching its end."""
    day = _date(on_date)
    services.contracts_expire(today=day)
    return services.renewals_open_due(today=day)


@crm_task
def invoices_mark_overdue(on_date: str | None = None) -> int:
    """Issued invoices past their due date become overdue."""
    return services.invoices_mark_overdue(today=_date(on_date))
