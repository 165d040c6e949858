"""The health column (latest score and band) and the health-band filter of the client list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, F, OuterRef, Q, Subquery, Value, When
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


# The trend arrow compares the latest score with the latest one at least TREND_DAYS older.
TREND_DAYS = 28
TREND_STEADY_POINTS = 5  # a move of fewer points than this reads as steady


def _annotate_trend(queryset, *, today: dt.date):
    def latest(on: dt.date):
        return Subquery(
            HealthScore.objects.filter(client=OuterRef("pk"), date__lte=on).order_by("-date").values("score")[:1]
        )

    queryset = queryset.annotate(trend_now=latest(today), trend_before=latest(today - dt.timedelta(days=TREND_DAYS)))
    return queryset.annotate(
        health_trend=Case(
            When(Q(trend_now__isnull=True) | Q(trend_before__isnull=True), then=Value("")),
            When(trend_now__gte=F("trend_before") + TREND_STEADY_POINTS, then=Value("up")),
            When(trend_now__lte=F("trend_before") - TREND_STEADY_POINTS, then=Value("down")),
            default=Value("steady"),
            output_field=CharField(),
        )
    )


TREND_COLUMN = ListColumn(
    key="trend",
    label=_("Trend"),
    cell_template="health/_list_trend.html",
    annotate=_annotate_trend,
    order=12,
    default=False,
)
