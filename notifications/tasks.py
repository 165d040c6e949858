"""Celery tasks of the outbox: take ids, call a service. Idempotent (the claim makes every send exactly-once)."""

from __future__ import annotations

from core.tasks import crm_task
from notifications import services


@crm_task
def outbox_deliver(message_id: int) -> str:
    # A transient SMTP failure is recorded on the row with its next attempt's time (back-off with jitter);
    # the periodic delivery below sends it then.
    return services.outbox_deliver(message_id=message_id)


@crm_task
def outbox_deliver_due() -> int:
    """Periodic (Celery beat): send what is pending and due, including retries and lost claims."""
    return services.outbox_deliver_due()
