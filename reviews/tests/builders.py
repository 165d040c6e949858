"""Builders for review tests: a fixed, finished quarter and reviews taken through their states."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.dates import Quarter
from health.models import HealthScore
from health.services import health_model_ensure_default
from kpis import ingest
from reviews import services
from tests.factories import default_metric

# Q3 2025 is over by "today": the snapshot compares the whole quarter with the whole Q2.
QUARTER = Quarter(2025, 3)
TODAY = dt.date(2025, 10, 6)
HELD_ON = dt.date(2025, 10, 2)


def seed_daily(client, key: str, start: dt.date, end: dt.date, value: float) -> None:
    metric = default_metric(key)  # the data migration's row may be gone after a flush (browser tests)
    day, rows = start, []
    while day <= end:
        rows.append((client.pk, metric.pk, day, value))
        day += dt.timedelta(days=1)
    ingest.upsert_values(rows)


def score(client, day: dt.date, value: float, band: str = "green", weakest: str = "") -> HealthScore:
    model = health_model_ensure_default()
    return HealthScore.objects.create(
        client=client,
        date=day,
        model=model,
        score=value,
        band=band,
        coverage=1.0,
        weakest=weakest,
        components=[
            {
                "kind": "kpi_trend",
                "label": "KPI trend: orders",
                "weight": 1.0,
                "sub_score": value,
                "contribution": value,
                "missing": False,
                "explanation": f"Orders explained on {day}",
                "raw": {"current": 1},
            }
        ],
    )


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def plan_review(client, by, *, quarter: Quarter = QUARTER, planned_on: dt.date = HELD_ON, **extra):
    return services.review_plan(
        client=client, by=by, year=quarter.year, quarter=quarter.quarter, planned_on=planned_on, **extra
    )


def prepared_review(client, by, **extra):
    review = plan_review(client, by, **extra)
    return services.review_prepare(review=review, by=by, today=TODAY)


def held_review(client, by, *, action_items=(), **outcome):
    review = prepared_review(client, by)
    outcome.setdefault("wins", "Went live in two regions")
    return services.review_hold(
        review=review,
        by=by,
        expected_version=review.version,
        held_on=HELD_ON,
        action_items=action_items,
        today=TODAY,
        **outcome,
    )
