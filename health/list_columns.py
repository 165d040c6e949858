"""The health column (latest score and band) and the health-band filter of the client list."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from clients.panels import ListColumn
from health.models import Band, HealthScore


def _annotate(queryset, *, today: dt.date):
    latest = HealthScore.objects.filter(client=OuterRef("pk"), date__lte=today).order_by("-date")
    return queryset.annotate(
        health_score=Subquery(latest.values("score")[:1]), health_band=Subquery(latest.values("band")[:1])
    )


def _filter(queryset, value: str):
    return queryset.filter(health_band=value)


COLUMN = ListColumn(
    key="health",
    label=_("Health"),
    cell_template="health/_list_cell.html",
    annotate=_annotate,
    filter_label=_("Health"),
    filter_empty_label=_("Any health"),
    filter_choices=tuple(Band.choices),
    filter=_filter,
    order=10,
)
