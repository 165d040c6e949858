"""Coverage and data freshness in the stored daily scores (the formula itself: test_scoring.py)."""

import datetime as dt

import pytest

from health import services
from health.models import HealthScore
from kpis import ingest
from kpis.models import Metric
from kpis.selectors import kpi_last_dates
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)


def _feed(client, *, days=120, stop_days_ago=0, gaps=(), value=20.0, nps=True):
    metrics = dict(Metric.objects.values_list("key", "pk"))
    rows = []
    for age in range(stop_days_ago, days):
        if age in gaps:
            continue
        day = TODAY - dt.timedelta(days=age)
        for key in ("orders", "revenue", "support_incidents"):
            rows.append((client.pk, metrics[key], day, value if key != "support_incidents" else 0.0))
        if nps and age % 30 == 0:
            rows.append((client.pk, metrics["nps"], day, 40.0))
    ingest.upsert_values(rows)


def test_stored_coverage_follows_each_clients_data(am_alice):
    complete, gappy, stopped, silent = (ClientFactory(owner=am_alice, team=am_alice.team) for _ in range(4))
    _feed(complete)
    _feed(gappy, gaps=set(range(30, 45)))  # a 15-day hole in the baseline
    _feed(stopped, stop_days_ago=30)
    services.health_scores_compute(on_date=TODAY)
    scores = {s.client_id: s for s in HealthScore.objects.all()}
    coverage = {pk: scores[pk].coverage for pk in (complete.pk, gappy.pk, stopped.pk, silent.pk)}
    assert len(set(coverage.values())) == 4, coverage
    assert coverage[complete.pk] > coverage[gappy.pk] > coverage[stopped.pk]
    nps = next(c for c in scores[complete.pk].components if c["kind"] == "kpi_level")
    assert nps["coverage"] == 1.0 and not nps["missing"]  # a monthly KPI with its 3 values in 90 days

    assert scores[stopped.pk].band != "green"
    assert scores[silent.pk].band != "green"
    freshness = next(c for c in scores[stopped.pk].components if c["kind"] == "data_freshness")
    # Orders, revenue and incidents are 30 days late; the monthly NPS of 30 days ago is still on time.
    assert freshness["sub_score"] == 25.0
    assert (
        freshness["explanation"].startswith("3 of 4 KPIs late;")
        and "last value 30 days ago" in freshness["explanation"]
    )
    orders = next(c for c in scores[stopped.pk].components if c["label"] == "Orders: trend")
    assert orders["missing"]  # the recent stretch is empty: missing, not a -100% fall


def test_zero_orders_for_120_days_is_not_green(am_alice):
    client = ClientFactory(owner=am_alice, team=am_alice.team)
    _feed(client, value=0.0)
    services.health_scores_compute(on_date=TODAY)
    score = HealthScore.objects.get(client=client)
    assert score.band != "green", score.components


def test_last_dates_in_one_query(am_alice, django_assert_num_queries):
    clients = [ClientFactory(owner=am_alice, team=am_alice.team) for _ in range(3)]
    _feed(clients[0], days=10, nps=False)
    _feed(clients[1], days=40, stop_days_ago=20)
    with django_assert_num_queries(1):
        last = kpi_last_dates(on_date=TODAY, lookback_days=200, client_ids=[c.pk for c in clients])
    assert last[clients[0].pk] == {"orders": TODAY, "revenue": TODAY, "support_incidents": TODAY}
    assert last[clients[1].pk]["orders"] == TODAY - dt.timedelta(days=20)
    assert last[clients[1].pk]["nps"] == TODAY - dt.timedelta(days=30)
    assert clients[2].pk not in last
