"""Celery tasks of the surveys: take ids and dates, call a service. Idempotent; acknowledged late."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from core.dates import day_or_today
from core.tasks import crm_task


@crm_task
def surveys_daily(on_date: str | None = None) -> dict:
    """Every morning: send the scheduled surveys due, then remind who has not answered after
    SURVEY_REMIND_AFTER_DAYS. Each item is its own task, so one failure does not stop the rest."""
    from surveys import selectors

    today = day_or_today(on_date)
    schedule_ids = selectors.schedule_ids_due(today=today)
    for schedule_id in schedule_ids:
        survey_schedule_send.delay(schedule_id, today.isoformat())
    survey_ids = selectors.survey_ids_to_remind(
        sent_before=timezone.now() - dt.timedelta(days=settings.SURVEY_REMIND_AFTER_DAYS), now=timezone.now()
    )
    for survey_id in survey_ids:
        survey_send_reminders.delay(survey_id)
    return {"schedules": len(schedule_ids), "reminders": len(survey_ids)}


@crm_task
def survey_schedule_send(schedule_id: int, on_date: str) -> int | None:
    from surveys import services

    survey = services.survey_schedule_run(schedule_id=schedule_id, today=day_or_today(on_date))
    return survey.pk if survey else None


@crm_task
def survey_send_reminders(survey_id: int) -> int:
    from core.errors import ApplicationError
    from surveys import services
    from surveys.models import Survey

    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return 0
    try:
        return services.survey_remind(survey=survey, automatic=True)
    except ApplicationError:  # closed meanwhile
        return 0
