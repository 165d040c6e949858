"""Calibration on the health model page: churn dates from the audit history, figures, a constant query count."""

import datetime as dt

import pytest
from django.test import Client as Browser
from django.utils import timezone

from clients.models import ClientStatus
from health import selectors, services
from kpis import ingest
from kpis.models import Metric
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _world(owner, time_machine, *, healthy: int, churners: int):
    """Healthy clients with steady orders; churners whose orders fell, churned 40 days ago."""
    orders = Metric.objects.get(key="orders")
    rows, churned = [], []
    time_machine.move_to(_at(TODAY - dt.timedelta(days=200)))
    clients = [
        ClientFactory(owner=owner, team=owner.team, status=ClientStatus.ACTIVE) for _ in range(healthy + churners)
    ]
    for index, client in enumerate(clients):
        falling = index >= healthy
        for age in range(40 if falling else 0, 200):
            value = 5.0 if falling and age < 100 else 50.0
            rows.append((client.pk, orders.pk, TODAY - dt.timedelta(days=age), value))
        if falling:
            churned.append(client)
    ingest.upsert_values(rows)
    time_machine.move_to(_at(TODAY - dt.timedelta(days=40)))
    for client in churned:
        client.status = ClientStatus.CHURNED
        client.save()
    time_machine.move_to(_at(TODAY))
    return clients, churned


def test_churn_dates_come_from_the_status_history(am_alice, time_machine):
    _, churned = _world(am_alice, time_machine, healthy=1, churners=2)
    back = churned[0]
    back.status = ClientStatus.ACTIVE
    back.save()
    assert selectors.churn_dates() == {churned[1].pk: TODAY - dt.timedelta(days=40)}


def test_calibration_orders_the_churners_and_counts_them(am_alice, time_machine):
    _world(am_alice, time_machine, healthy=4, churners=2)
    result = services.health_model_calibration(today=TODAY)
    by_days = {a.days: a for a in result.current.aucs}
    assert result.churned_clients == 2
    assert by_days[90].churns > 0 and by_days[90].auc is not None and by_days[90].auc > 0.5
    assert by_days[60].observations <= by_days[30].observations  # fewer past days have a known 60-day outcome
    assert sum(r.observations for r in result.current.bands) == sum(d.observations for d in result.current.deciles)


def _post(browser):
    return browser.post(
        "/health/model/",
        {
            "c-TOTAL_FORMS": 1,
            "c-INITIAL_FORMS": 0,
            "c-0-kind": "kpi_trend",
            "c-0-metric": "orders",
            "c-0-window_days": 28,
            "c-0-weight": 1,
            "c-0-drop_to_zero": 0.5,
            "green_min": 70,
            "yellow_min": 40,
            "preview": "1",
        },
    )


@pytest.mark.parametrize("size", [1, 4])
def test_the_model_page_shows_both_calibrations_in_constant_queries(
    admin_ada, am_alice, time_machine, django_assert_max_num_queries, size
):
    _world(am_alice, time_machine, healthy=3 * size, churners=size)
    browser = Browser()
    browser.force_login(admin_ada)
    # 13 past days x the scoring reads of one day, plus the page (with the re-score progress: 2): the same whatever
    # the number of clients.
    with django_assert_max_num_queries(137):
        page = browser.get("/health/model/")
    assert page.status_code == 200
    assert "Calibration: does the score order churn risk?" in page.content.decode()
    assert "expected daily; valid from 0)" in page.content.decode()
    with django_assert_max_num_queries(200):
        preview = _post(browser)
    body = preview.content.decode()
    assert preview.status_code == 200 and "AUC, draft" in body and "would change band" in body
