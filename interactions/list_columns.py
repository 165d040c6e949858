"""The client list's "Next follow-up" column: the earliest open follow-up of each client (one subquery)."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from clients.panels import ListColumn
from interactions.models import FollowUp, FollowUpStatus


def _annotate(queryset, *, today: dt.date):
    first = FollowUp.objects.filter(client=OuterRef("pk"), status=FollowUpStatus.OPEN).order_by("due_date", "pk")
    return queryset.annotate(
        next_followup_due=Subquery(first.values("due_date")[:1]),
        next_followup_title=Subquery(first.values("title")[:1]),
    )


COLUMN = ListColumn(
    key="next_follow_up",
    label=_("Next follow-up"),
    cell_template="interactions/_list_next_followup.html",
    annotate=_annotate,
    order=70,
    default=False,
)
