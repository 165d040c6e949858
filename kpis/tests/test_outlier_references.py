"""The kept outlier references (kpis.outliers): exact or absent, and a daily push judged by them.

PostgreSQL only: SQLite keeps no references (its row-by-row rules compute every median) and has no staged path.
"""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from kpis import ingest, outliers, services
from kpis.models import Metric, MetricValue, OutlierReference, QuarantinedValue
from tests.factories import ClientFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="references are kept on PostgreSQL only"),
]

DAY = dt.date(2026, 11, 30)  # the day the history ends on; the next push is for DAY + 1


@pytest.fixture
def orders():
    services.metrics_ensure_defaults()  # a transactional test starts from an emptied database
    return Metric.objects.get(key="orders")


@pytest.fixture
def accounts(am_alice):
    return [ClientFactory(owner=am_alice, team=am_alice.team, external_id=f"REF-{i}") for i in range(4)]


def _history(client, metric, values_by_age):
    ingest.upsert_values([(client.pk, metric.pk, DAY - dt.timedelta(days=age), v) for age, v in values_by_age.items()])


def _push(client, metric, value, day=DAY + dt.timedelta(days=1)):
    """The daily push's fast path alone: None when it leaves the batch to the row-by-row rules."""
    return ingest.batch_write_staged(
        [{"client": client.pk, "metric": metric.key, "date": day.isoformat(), "value": value}], today=day
    )


def test_a_batch_leaves_the_next_days_median_behind(admin_ada, accounts, orders, django_capture_on_commit_callbacks):
    for i, client in enumerate(accounts):
        _history(client, orders, {age: 10.0 * (i + 1) + age for age in range(1, 120)})
    api = APIClient()
    api.force_authenticate(admin_ada)
    rows = [{"client": c.external_id, "metric": "orders", "date": DAY.isoformat(), "value": 40.0} for c in accounts]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/v1/kpis/values/", {"rows": rows}, format="json").json()["written"] == len(accounts)
    kept = {r.client_id: r for r in OutlierReference.objects.filter(metric=orders)}
    assert set(kept) == {c.pk for c in accounts}
    for client in accounts:
        history = sorted(MetricValue.objects.filter(client=client, metric=orders).values_list("date", "value"))
        assert kept[client.pk].as_of == DAY + dt.timedelta(days=1)
        assert kept[client.pk].median == pytest.approx(ingest.outlier_reference(history, DAY + dt.timedelta(days=1)))


def test_the_daily_value_is_judged_by_the_kept_median(admin_ada, accounts, orders):
    client = accounts[0]
    _history(client, orders, dict.fromkeys(range(0, 90), 100.0))
    assert outliers.references_refresh(client_ids=[client.pk], day=DAY) == 1
    assert OutlierReference.objects.get(client=client).median == 100.0
    as_of = DAY + dt.timedelta(days=1)

    assert _push(client, orders, 2_000.0) is not None  # 20 times the median is not yet an outlier: written at once
    assert MetricValue.objects.get(client=client, metric=orders, date=as_of).value == 2_000.0
    # 2,001 on the same day: the fast path declines, the row-by-row rules hold it back.
    assert _push(client, orders, 2_001.0) is None
    row = {"client": client.pk, "metric": "orders", "date": as_of.isoformat(), "value": 2_001}
    result = services.metric_values_ingest(rows=[row], by=admin_ada)
    assert result.quarantined == 1 and QuarantinedValue.objects.filter(client=client, value=2_001).exists()


def test_a_kept_median_of_too_little_history_judges_nothing_an_outlier(accounts, orders):
    client = accounts[0]
    _history(client, orders, {0: 1.0, 1: 1.0, 2: 1.0})  # 3 values: fewer than OUTLIER_MIN_HISTORY
    outliers.references_refresh(client_ids=[client.pk], day=DAY)
    assert OutlierReference.objects.get(client=client).median is None
    assert _push(client, orders, 1_000_000.0) is not None


def test_a_write_inside_the_window_forgets_the_median_and_others_keep_it(accounts, orders):
    inside, on_the_day, older, elsewhere = accounts
    for client in accounts:
        _history(client, orders, dict.fromkeys(range(0, 90), 100.0))
    outliers.references_refresh(client_ids=[c.pk for c in accounts], day=DAY)
    assert OutlierReference.objects.count() == 4
    as_of = DAY + dt.timedelta(days=1)

    ingest.upsert_values([(inside.pk, orders.pk, DAY - dt.timedelta(days=30), 1.0)])  # a backfill in the window
    ingest.upsert_values([(on_the_day.pk, orders.pk, as_of, 100.0)])  # the day judged: outside its own window
    ingest.upsert_values([(older.pk, orders.pk, as_of - dt.timedelta(days=91), 1.0)])  # before the window
    assert set(OutlierReference.objects.values_list("client_id", flat=True)) == {on_the_day.pk, older.pk, elsewhere.pk}

    # The staged path forgets the same way: a two-day batch reaching into the window.
    rows = [
        {"client": elsewhere.pk, "metric": "orders", "date": d.isoformat(), "value": 100.0}
        for d in (DAY - dt.timedelta(days=2), as_of)
    ]
    assert ingest.batch_write_staged(rows, today=as_of) is not None
    assert not OutlierReference.objects.filter(client=elsewhere).exists()

    ingest.delete_values([(older.pk, orders.pk, DAY - dt.timedelta(days=5))])
    assert set(OutlierReference.objects.values_list("client_id", flat=True)) == {on_the_day.pk}


def test_judged_by_the_kept_median_or_by_counting_the_answer_is_the_rules(accounts, orders):
    """Random histories and values: the fast path declines exactly when the row-by-row rule holds an outlier."""
    rng = random.Random(20261203)
    client = accounts[0]
    as_of = DAY + dt.timedelta(days=1)
    for case in range(40):
        MetricValue.objects.filter(client=client).delete()
        OutlierReference.objects.all().delete()
        scale = rng.choice([0.5, 3.0, 40.0, 900.0])
        ages = rng.sample(range(0, 100), rng.randint(0, 60))
        _history(client, orders, {age: round(rng.uniform(0, 2) * scale, 2) for age in ages})
        history = sorted(MetricValue.objects.filter(client=client).values_list("date", "value"))
        value = round(rng.uniform(0, 60) * scale, 2)
        expected_outlier = ingest.is_outlier(value, ingest.outlier_reference(history, as_of))
        with_reference = case % 2 == 0
        if with_reference:  # written only when the history has a value on DAY, as after that day's push
            outliers.references_refresh(client_ids=[client.pk], day=DAY)
        with transaction.atomic():
            staged = _push(client, orders, value)
            if staged is not None:
                assert not expected_outlier, (case, value, history)
            transaction.set_rollback(True)
        if expected_outlier:
            assert staged is None, (case, value)


@pytest.mark.django_db(transaction=True)
def test_a_median_is_never_computed_while_a_write_is_open(accounts, orders):
    """The refresh waits for an open writer, then reads what it wrote: no reference misses a committed value."""
    client = accounts[0]
    _history(client, orders, dict.fromkeys(range(0, 90), 100.0))
    refreshed: dict[str, int] = {}

    def refresh():
        try:
            refreshed["count"] = outliers.references_refresh(client_ids=[client.pk], day=DAY)
        finally:
            connections.close_all()

    with transaction.atomic():
        ingest.upsert_values([(client.pk, orders.pk, DAY - dt.timedelta(days=d), 1.0) for d in range(1, 60)])
        worker = threading.Thread(target=refresh)
        worker.start()
        _wait_until_waiting_on_the_lock()
        assert "count" not in refreshed
    worker.join(timeout=30)
    assert refreshed["count"] == 1
    assert OutlierReference.objects.get(client=client).median == 1.0  # 59 of 90 values are now 1.0


def _wait_until_waiting_on_the_lock() -> None:
    """Poll pg_locks (not a timer) until another session waits for the references' advisory lock."""
    with connections["default"].cursor() as cursor:
        for _ in range(10_000):
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if cursor.fetchone()[0]:
                return
    raise AssertionError("the refresh never waited for the open writer")


def test_detaching_months_forgets_every_median(accounts, orders, settings):
    client = accounts[0]
    _history(client, orders, dict.fromkeys(range(0, 90), 100.0))
    outliers.references_refresh(client_ids=[client.pk], day=DAY)
    today = dt.date(2031, 6, 1)
    services.metric_value_partitions_maintain(today=DAY)
    services.metric_value_partitions_maintain(today=today)
    settings.KPI_RETENTION_MONTHS = 12
    assert services.metric_value_partitions_maintain(today=today)["detached"]
    assert not OutlierReference.objects.exists()
