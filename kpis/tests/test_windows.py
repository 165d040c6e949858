"""The one KPI-window implementation: spans, aggregations and a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from kpis.models import Metric, MetricValue
from kpis.selectors import kpi_windows, kpi_windows_over
from kpis.windows import KpiWindow, WindowSpan
from tests.factories import ClientFactory

DAY = dt.date(2026, 3, 31)


def test_a_span_ending_on_a_day_covers_the_recent_days_and_the_baseline_just_before():
    span = WindowSpan.ending(DAY, recent_days=7, baseline_days=28)
    assert (span.recent_start, span.recent_end) == (dt.date(2026, 3, 25), DAY)
    assert (span.baseline_start, span.baseline_end) == (dt.date(2026, 2, 25), dt.date(2026, 3, 24))
    assert (span.recent_days, span.baseline_days) == (7, 28)
    assert WindowSpan.ending(DAY, recent_days=30, baseline_days=0).baseline_days == 0


def _metric(key: str, aggregation: str) -> Metric:
    return Metric.objects.update_or_create(key=key, defaults={"name": key.title(), "aggregation": aggregation})[0]


def _values(client, metric, by_days_ago: dict[int, float]) -> None:
    MetricValue.objects.bulk_create(
        MetricValue(client=client, metric=metric, date=DAY - dt.timedelta(days=ago), value=value)
        for ago, value in by_days_ago.items()
    )


@pytest.mark.django_db
def test_windows_honour_each_metrics_aggregation(django_assert_max_num_queries):
    client, other = ClientFactory(), ClientFactory()
    orders, nps, seats = _metric("orders", "sum"), _metric("nps", "mean"), _metric("seats", "last")
    # recent = the 7 days up to DAY (0..6 days ago), baseline = the 7 before (7..13 days ago)
    _values(client, orders, {0: 10, 3: 5, 7: 4, 13: 4, 14: 1000})  # 14 days ago is outside both
    _values(client, nps, {1: 40, 2: 20, 9: 10})
    _values(client, seats, {6: 12, 1: 15, 12: 9, 8: 11})
    _values(other, orders, {2: 1})
    needed = {("orders", 7, 7), ("nps", 7, 7), ("seats", 7, 7)}
    with django_assert_max_num_queries(3):  # the metrics, one grouped query for the span, one for 'last'
        windows = kpi_windows(on_date=DAY, needed=needed, client_ids=[client.pk, other.pk])
    mine = windows[client.pk]
    assert mine[("orders", 7, 7)] == KpiWindow("orders", 7, 7, 15, 8, recent_count=2, baseline_count=2)
    assert mine[("nps", 7, 7)] == KpiWindow("nps", 7, 7, 30, 10, recent_count=2, baseline_count=1)
    assert mine[("seats", 7, 7)] == KpiWindow("seats", 7, 7, 15, 11, recent_count=2, baseline_count=2)
    assert windows[other.pk] == {("orders", 7, 7): KpiWindow("orders", 7, 7, 1, None, 1, 0)}


@pytest.mark.django_db
def test_a_window_over_explicit_dates_and_no_clients():
    client = ClientFactory()
    orders = _metric("orders", "sum")
    _values(client, orders, {0: 3, 40: 7, 100: 2})
    span = WindowSpan(DAY - dt.timedelta(days=10), DAY, DAY - dt.timedelta(days=95), DAY - dt.timedelta(days=30))
    window = kpi_windows_over(span=span, metrics=[orders], client_ids=[client.pk])[client.pk]["orders"]
    assert (window.recent_value, window.baseline_value, window.recent_days, window.baseline_days) == (3, 7, 11, 66)
    assert kpi_windows_over(span=span, metrics=[orders], client_ids=[]) == {}
