"""KPI re-scores are debounced per client: many batches in a row give one score computation per client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from flags import tasks as flag_tasks
from health.models import HealthScore, RescoreDue
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
URL = "/api/v1/kpis/values/"


@pytest.fixture
def api(admin_ada):
    client = APIClient()
    client.force_authenticate(admin_ada)
    return client


@pytest.fixture
def accounts(am_alice):
    return [ClientFactory(owner=am_alice, team=am_alice.team) for _ in range(3)]


def batch(api, accounts, value: float):
    rows = [{"client": c.pk, "metric": "orders", "date": T0.date().isoformat(), "value": value} for c in accounts]
    response = api.post(URL, rows, format="json")
    assert response.status_code == 200, response.content


def rescores(callbacks) -> list:
    """The queued re-score tasks among the batch's after-commit work (on PostgreSQL it also keeps outlier medians)."""
    return [c for c in callbacks if c.__qualname__.startswith("health_scores_refresh_later.")]


def run_queued(callbacks) -> list:
    queries = []
    for callback in callbacks:
        with CaptureQueriesContext(connection) as captured:
            callback()
        queries += captured.captured_queries
    return queries


def test_ten_batches_within_the_delay_give_one_rescore_per_client(
    api, accounts, time_machine, django_capture_on_commit_callbacks, settings
):
    settings.HEALTH_RESCORE_DELAY_SECONDS = 30
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        for i in range(10):  # one batch every two seconds, all inside the 30 s window
            time_machine.move_to(T0 + dt.timedelta(seconds=2 * i), tick=False)
            batch(api, accounts, value=100 + i)
    assert len(rescores(queued)) == 1  # one re-score task for the ten batches
    assert RescoreDue.objects.count() == 3
    assert not HealthScore.objects.exists()

    time_machine.move_to(T0 + dt.timedelta(seconds=30), tick=False)  # the task's countdown ends: it runs
    queries = run_queued(rescores(queued))
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "health_healthscore"')]
    assert len(inserts) == 1  # one computation, all three clients in it
    assert HealthScore.objects.count() == 3
    assert not RescoreDue.objects.exists()
    scores = {s.client_id: s for s in HealthScore.objects.all()}
    assert set(scores) == {c.pk for c in accounts}

    # A batch after the re-score ran starts a new window: one more task, one more computation.
    time_machine.move_to(T0 + dt.timedelta(seconds=45), tick=False)
    with django_capture_on_commit_callbacks(execute=False) as later:
        batch(api, accounts, value=7)
        batch(api, accounts, value=8)
    assert len(rescores(later)) == 1
    inserts = [q for q in run_queued(rescores(later)) if q["sql"].startswith('INSERT INTO "health_healthscore"')]
    assert len(inserts) == 1


def test_a_task_that_ran_already_finds_nothing_to_do(api, accounts, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        batch(api, accounts, value=1)
    [rescore] = rescores(queued)
    rescore()
    assert HealthScore.objects.count() == 3
    with CaptureQueriesContext(connection) as captured:
        rescore()  # the broker delivers it again
    assert not [q for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "health_healthscore"')]


def test_a_lost_rescore_task_is_queued_again(api, accounts, time_machine, django_capture_on_commit_callbacks, settings):
    settings.HEALTH_RESCORE_DELAY_SECONDS, settings.HEALTH_RESCORE_LOST_AFTER_SECONDS = 30, 300
    settings.EVALUATION_TIME = "23:00"  # the sweeper must not start the morning run here
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=False) as lost:
        batch(api, accounts, value=1)
    assert len(rescores(lost)) == 1  # ...and the broker loses it (a Redis restart): never run
    time_machine.move_to(T0 + dt.timedelta(seconds=60), tick=False)
    with django_capture_on_commit_callbacks(execute=False) as joined:
        batch(api, accounts, value=2)
    assert rescores(joined) == []  # still inside the allowance: it joins the (lost) pending re-score
    # The sweeper notices the re-score due long ago and queues it again (eager here: it runs).
    time_machine.move_to(T0 + dt.timedelta(seconds=30 + 301), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        result = flag_tasks.sweep_lost_work.apply().get()
    assert (result["rescores"], result["started"]) == (1, None)
    assert HealthScore.objects.count() == 3 and not RescoreDue.objects.exists()


def test_the_next_batch_requeues_a_lost_rescore(api, accounts, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to(T0, tick=False)
    with django_capture_on_commit_callbacks(execute=False):
        batch(api, accounts, value=1)  # queued, then lost
    time_machine.move_to(T0 + dt.timedelta(hours=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        batch(api, accounts, value=2)
    assert len(rescores(queued)) == 1
    assert HealthScore.objects.count() == 3 and not RescoreDue.objects.exists()
