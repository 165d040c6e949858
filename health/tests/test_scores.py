import datetime as dt

import pytest
from django.utils import timezone

from core.errors import ApplicationError, NotAllowedError
from health import services
from health.models import HealthModel, HealthScore
from kpis import ingest
from kpis.models import Metric
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _seed_orders(clients, today, falling=()):
    orders = Metric.objects.get(key="orders")
    rows = []
    for client in clients:
        for age in range(56):
            value = 100.0
            if client.pk in falling and age < 28:
                value = 40.0
            rows.append((client.pk, orders.pk, today - dt.timedelta(days=age), value))
    ingest.upsert_values(rows)


def test_scores_are_set_based_and_idempotent(am_alice, django_assert_max_num_queries):
    today = timezone.localdate()
    clients = [ClientFactory(owner=am_alice, team=am_alice.team) for _ in range(30)]
    _seed_orders(clients, today, falling={clients[0].pk})
    services.health_model_ensure_default()
    with django_assert_max_num_queries(15):
        assert services.health_scores_compute(on_date=today) == 30
    first = {s.client_id: (s.score, s.band) for s in HealthScore.objects.all()}
    services.health_scores_compute(on_date=today)
    assert HealthScore.objects.count() == 30
    assert {s.client_id: (s.score, s.band) for s in HealthScore.objects.all()} == first

    falling = HealthScore.objects.get(client=clients[0])
    orders = next(c for c in falling.components if c["label"] == "Orders: trend")
    assert orders["raw"]["current"] == 40 * 28 and orders["raw"]["previous"] == 100 * 28
    assert orders["explanation"].startswith("Orders last 28 days: 1,120 orders, previous 28: 2,800 orders, -60%")
    assert falling.score < HealthScore.objects.get(client=clients[1]).score


def test_query_count_does_not_grow_with_clients(am_alice, django_assert_max_num_queries):
    today = timezone.localdate()
    services.health_model_ensure_default()
    clients = [ClientFactory(owner=am_alice, team=am_alice.team) for _ in range(5)]
    _seed_orders(clients, today)
    with django_assert_max_num_queries(15):
        services.health_scores_compute(on_date=today)
    more = [ClientFactory(owner=am_alice, team=am_alice.team) for _ in range(60)]
    _seed_orders(more, today)
    with django_assert_max_num_queries(15):
        services.health_scores_compute(on_date=today)


def test_saving_a_model_keeps_the_old_version(admin_ada):
    first = services.health_model_ensure_default()
    second = services.health_model_save(
        components=[{"kind": "engagement", "weight": 1}], green_min=80, yellow_min=50, by=admin_ada
    )
    first.refresh_from_db()
    assert (first.is_active, second.is_active, second.version) == (False, True, first.version + 1)
    assert first.components  # unchanged
    assert HealthModel.objects.count() == 2


def test_only_admins_edit_the_model_and_bad_models_are_refused(am_alice, admin_ada):
    with pytest.raises(NotAllowedError):
        services.health_model_save(
            components=[{"kind": "engagement", "weight": 1}], green_min=70, yellow_min=40, by=am_alice
        )
    with pytest.raises(ApplicationError, match="weight"):
        services.health_model_save(
            components=[{"kind": "engagement", "weight": -2}], green_min=70, yellow_min=40, by=admin_ada
        )


def test_preview_counts_band_changes(am_alice):
    today = timezone.localdate()
    clients = [ClientFactory(owner=am_alice, team=am_alice.team) for _ in range(4)]
    _seed_orders(clients, today, falling={clients[0].pk})
    services.health_model_ensure_default()
    services.health_scores_compute(on_date=today)
    bands = dict(HealthScore.objects.values_list("client_id", "band"))
    # A model that only looks at the orders trend with a 0 bar for green: everyone green but the falling one.
    preview = services.health_model_preview(
        components=[{"kind": "kpi_trend", "weight": 1, "params": {"metric": "orders", "window_days": 28}}],
        green_min=60,
        yellow_min=30,
        on_date=today,
    )
    expected = sum(1 for pk, band in bands.items() if band != ("red" if pk == clients[0].pk else "green"))
    assert preview.clients == 4
    assert preview.changed == expected
    assert HealthModel.objects.count() == 1  # nothing saved
