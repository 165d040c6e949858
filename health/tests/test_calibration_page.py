"""Calibration on the health model page: churn dates from the lifecycle, figures, a constant query count."""

import datetime as dt

import pytest
from django.test import Client as Browser
from django.utils import timezone

from clients.models import ClientStatus
from clients.services import client_status_change
from health import selectors, services
from health.models import CalibrationJob
from kpis import ingest
from kpis.models import Metric
from tests.factories import ClientFactory
from users.models import Role, User

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _world(owner, time_machine, *, healthy: int, churners: int, admin=None):
    """Healthy clients with steady orders; churners whose orders fell, churned 40 days ago (recorded today by an
    admin, back-dated: the lifecycle's effective day is the churn date, not the day it was typed in)."""
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
    time_machine.move_to(_at(TODAY))
    admin = admin or User.objects.create(username="calibration_admin", role=Role.ADMIN)
    for client in churned:
        client_status_change(
            client=client, by=admin, status=ClientStatus.CHURNED, effective_on=TODAY - dt.timedelta(days=40),
            churn_reason="price", today=TODAY,
        )  # fmt: skip
    return clients, churned


def test_churn_dates_come_from_the_lifecycle(am_alice, admin_ada, time_machine, django_assert_num_queries):
    _, churned = _world(am_alice, time_machine, healthy=1, churners=3, admin=admin_ada)
    back, again = churned[0], churned[2]
    client_status_change(client=back, by=admin_ada, status=ClientStatus.ACTIVE, today=TODAY)  # won back
    # Churned, came back, churned again: the latest churn counts.
    client_status_change(
        client=again, by=admin_ada, status=ClientStatus.ACTIVE, effective_on=TODAY - dt.timedelta(days=30), today=TODAY
    )
    client_status_change(
        client=again, by=admin_ada, status=ClientStatus.CHURNED, effective_on=TODAY - dt.timedelta(days=10),
        churn_reason="competitor", today=TODAY,
    )  # fmt: skip
    with django_assert_num_queries(1):
        dates = selectors.churn_dates()
    assert dates == {churned[1].pk: TODAY - dt.timedelta(days=40), again.pk: TODAY - dt.timedelta(days=10)}


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
def test_the_model_page_reads_a_stored_calibration_in_constant_queries(
    admin_ada, am_alice, time_machine, django_assert_max_num_queries, size
):
    """Computed by a worker beforehand: the page itself re-scores nothing, whatever the number of clients."""
    _world(am_alice, time_machine, healthy=3 * size, churners=size)
    job = services.health_calibration_start(by=None, today=TODAY)
    services.health_calibration_run(job_id=job.pk)
    browser = Browser()
    browser.force_login(admin_ada)
    # The page reads stored calibration figures (a worker computes them) and the re-score progress: constant.
    with django_assert_max_num_queries(22):
        page = browser.get("/health/model/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Calibration: does the score order churn risk?" in body and "expected daily; valid from 0)" in body
    assert "AUC, current model" in body and "health/model/calibration/" not in body  # the figures; nothing to poll
    assert CalibrationJob.objects.count() == 1  # today's was there: nothing queued


def test_the_page_queues_the_calibration_and_polls_it(
    admin_ada, am_alice, time_machine, django_capture_on_commit_callbacks
):
    _world(am_alice, time_machine, healthy=3, churners=1)
    browser = Browser()
    browser.force_login(admin_ada)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        page = browser.get("/health/model/")
    job = CalibrationJob.objects.get()
    body = page.content.decode()
    assert job.status == "queued" and not job.figures  # not computed in the request
    assert "health/model/calibration/" in body and "Calibrating the active model" in body
    assert len(queued) == 1
    queued[0]()  # the worker
    job.refresh_from_db()
    assert job.status == "done" and job.days_done == job.days_total == 13
    status = browser.get(f"/health/model/calibration/?current={job.pk}").content.decode()
    assert "hx-trigger" not in status and "AUC, current model" in status


def test_a_draft_preview_is_calibrated_in_the_background(
    admin_ada, am_alice, time_machine, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    _world(am_alice, time_machine, healthy=3, churners=1)
    current = services.health_calibration_start(by=None, today=TODAY)
    services.health_calibration_run(job_id=current.pk)
    browser = Browser()
    browser.force_login(admin_ada)
    with django_capture_on_commit_callbacks(execute=False) as queued, django_assert_max_num_queries(60):
        preview = _post(browser)
    body = preview.content.decode()
    draft = CalibrationJob.objects.exclude(pk=current.pk).get()
    assert preview.status_code == 200 and "would change band" in body and "Calibrating the draft" in body
    assert draft.model is None and draft.draft["components"][0]["kind"] == "kpi_trend" and draft.status == "queued"
    queued[-1]()
    status = browser.get(f"/health/model/calibration/?current={current.pk}&draft={draft.pk}").content.decode()
    assert "AUC, draft" in status and "hx-trigger" not in status
    # Someone else's draft is not shown.
    other = User.objects.create(username="admin_two", role=Role.ADMIN)
    browser.force_login(other)
    status = browser.get(f"/health/model/calibration/?current={current.pk}&draft={draft.pk}").content.decode()
    assert "AUC, draft" not in status
    # Not for account managers.
    browser.force_login(am_alice)
    assert browser.get("/health/model/calibration/").status_code == 403
