"""Access to surveys: through their client. Not found and forbidden look the same (404)."""

from __future__ import annotations

from django.http import Http404

from surveys.models import Survey, SurveySchedule
from users import permissions as rules
from users.models import User


def survey_get_for_user(*, user: User, pk: int) -> Survey:
    survey = (
        Survey.objects.filter(rules.portfolio_q(user, prefix="client__"), pk=pk)
        .select_related("client__owner", "client__team", "client__sales_owner")
        .first()
    )
    if survey is None:
        raise Http404("No such survey.")
    return survey


def schedule_get_for_user(*, user: User, pk: int) -> SurveySchedule:
    schedule = (
        SurveySchedule.objects.filter(rules.portfolio_q(user, prefix="client__"), pk=pk)
        .select_related("client__owner", "client__team", "client__sales_owner")
        .first()
    )
    if schedule is None:
        raise Http404("No such survey schedule.")
    return schedule
