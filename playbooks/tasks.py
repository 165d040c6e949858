"""Playbooks' daily work: a few lines, ids in, a service called (idempotent)."""

from django.utils import timezone

from core.tasks import crm_task
from playbooks import services


@crm_task
def run_playbooks_daily() -> None:
    services.playbooks_daily(today=timezone.localdate())
