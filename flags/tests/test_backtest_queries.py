"""A back-test reads the slow-changing facts once for the whole period (FactsCache): its query count does not grow
with the clients, nor with the days; a KPI rule reads the values its windows reach over the whole period in one
query. The figures are those of a back-test of each rule alone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients import services as client_services
from clients.models import ClientStatus
from flags import backtest, evaluation
from flags.models import TriggerRule
from interactions import services as interaction_services
from kpis import ingest
from kpis import selectors as kpi_selectors
from kpis.models import Metric

pytestmark = pytest.mark.django_db
UNTIL = dt.date(2026, 9, 30)


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _world(owner, admin, clients: int) -> None:
    orders = Metric.objects.get(key="orders")
    with time_machine.travel(noon(UNTIL - dt.timedelta(days=200)), tick=False):
        made = [client_services.client_create(by=owner, name=f"Client {n}") for n in range(clients)]
    with time_machine.travel(noon(UNTIL), tick=False):
        rows = []
        for index, client in enumerate(made):
            for age in range(120):
                value = 10.0 if index % 2 and age < 20 else 40.0
                rows.append((client.pk, orders.pk, UNTIL - dt.timedelta(days=age), value))
            interaction_services.interaction_log(
                client=client, by=owner, kind="call", occurred_at=noon(UNTIL - dt.timedelta(days=40 + index)),
                summary="Call",
            )  # fmt: skip
        ingest.upsert_values(rows)
        client_services.client_status_change(
            client=made[1], by=admin, status=ClientStatus.CHURNED, churn_reason="price",
            effective_on=UNTIL - dt.timedelta(days=3), today=UNTIL,
        )  # fmt: skip


def _specs(*kinds):
    metrics = kpi_selectors.metric_metadata()
    made = {
        "no_contact": ("Silent", {"mode": "days", "days": 30}),
        "commitment_overdue": ("Late promise", {"min_days": 0}),
        "kpi_drop": ("Orders falling", {"metric": "orders", "drop_pct": 35, "recent_days": 7, "baseline_days": 28}),
    }
    return [
        evaluation.rule_spec(TriggerRule.objects.create(name=made[k][0], kind=k, params=made[k][1]), metrics)
        for k in kinds
    ]


def _count(specs, days: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        backtest.backtest_many(specs=specs, user=None, days=days, until=UNTIL, horizon_days=30)
    return len(queries.captured_queries)


@pytest.mark.parametrize("clients", [2, 6])
def test_rules_without_kpi_windows_cost_the_same_whatever_the_days_and_clients(am_alice, admin_ada, clients):
    _world(am_alice, admin_ada, clients)
    specs = _specs("no_contact", "commitment_overdue")
    short, long = _count(specs, 10), _count(specs, 60)
    assert short == long <= 20  # the facts are read once for the whole period


@pytest.mark.parametrize("clients", [2, 6])
def test_a_kpi_rule_reads_its_values_once_whatever_the_days_and_clients(am_alice, admin_ada, clients):
    _world(am_alice, admin_ada, clients)
    specs = _specs("kpi_drop")
    short, long = _count(specs, 10), _count(specs, 60)
    assert short == long <= 15  # the values its windows reach over the whole period: one query


def test_several_rules_in_one_replay_measure_as_each_alone(am_alice, admin_ada):
    _world(am_alice, admin_ada, 6)
    specs = _specs("no_contact", "kpi_drop")
    together = backtest.backtest_many(specs=specs, user=None, days=60, until=UNTIL, horizon_days=30)
    for spec, result in zip(specs, together, strict=True):
        alone = backtest.backtest(spec=spec, user=None, days=60, until=UNTIL, horizon_days=30)
        assert backtest.summary(result) == backtest.summary(alone)
    assert together[1].warnings > 0 and together[0].churns == 1
