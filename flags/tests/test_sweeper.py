"""The sweeper: lost chunks are dispatched again, a morning run that never started is started; the history says so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from flags import evaluation, tasks
from flags.models import EvaluationRun, Flag
from flags.tests.test_digest import portfolio, rule  # noqa: F401 - fixtures
from flags.tests.test_evaluation import TODAY

pytestmark = pytest.mark.django_db
MORNING = dt.datetime.combine(TODAY, dt.time(7, 17), tzinfo=dt.UTC)


def sweep(at: dt.datetime) -> dict:
    return tasks.sweep_lost_work.apply(kwargs={"now": at.isoformat()}).get()


def test_lost_chunks_are_dispatched_again_and_the_run_completes(
    portfolio, settings, time_machine, django_capture_on_commit_callbacks  # noqa: F811
):
    settings.HEALTH_CHUNK_SIZE, settings.EVALUATION_STALL_MINUTES = 1, 15
    time_machine.move_to(MORNING, tick=False)
    run, chunks = evaluation.run_start(on_date=TODAY)
    tasks.evaluate_chunk.delay(chunks[0].pk)  # the other two chunks' tasks were lost with the broker's queue

    time_machine.move_to(MORNING + dt.timedelta(minutes=14), tick=False)
    assert sweep(MORNING + dt.timedelta(minutes=14))["chunks"] == 0  # not late yet

    time_machine.move_to(MORNING + dt.timedelta(minutes=25), tick=False)
    with django_capture_on_commit_callbacks(execute=True):  # each chunk's commit queues what follows it
        result = sweep(MORNING + dt.timedelta(minutes=25))
    assert result["chunks"] == 2
    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.errors) == ("done", 3, [])
    assert (run.redispatched_chunks, run.redispatched_at) == (2, MORNING + dt.timedelta(minutes=25))
    assert Flag.objects.count() == 3 == run.flags_opened  # every flag exactly once
    assert len(mail.outbox) == 3  # and the digests went out once the last chunk finished
    assert sweep(MORNING + dt.timedelta(minutes=50))["chunks"] == 0  # nothing left to do
    assert Flag.objects.count() == 3 and len(mail.outbox) == 3


def test_a_duplicate_of_a_chunk_still_queued_is_harmless(portfolio, settings):  # noqa: F811
    settings.HEALTH_CHUNK_SIZE = 1
    run, chunks = evaluation.run_start(on_date=TODAY)
    swept = evaluation.runs_sweep(now=run.started_at + dt.timedelta(hours=1))
    assert len(swept.chunk_ids) == 3
    for chunk in chunks:  # the original tasks were only slow, not lost: each chunk now runs twice
        tasks.evaluate_chunk.delay(chunk.pk)
        tasks.evaluate_chunk.delay(chunk.pk)
    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.flags_opened) == ("done", 3, 3)
    assert Flag.objects.count() == 3


def test_the_history_says_when_a_run_is_late_and_what_the_sweeper_did(
    client, admin_ada, portfolio, settings, time_machine  # noqa: F811
):
    settings.HEALTH_CHUNK_SIZE, settings.EVALUATION_STALL_MINUTES = 1, 15
    time_machine.move_to(MORNING, tick=False)
    _run, chunks = evaluation.run_start(on_date=TODAY)
    tasks.evaluate_chunk.delay(chunks[0].pk)
    # The sweeper re-dispatched the two lost chunks at 07:42, and they were lost again.
    evaluation.runs_sweep(now=MORNING + dt.timedelta(minutes=25))
    client.force_login(admin_ada)
    time_machine.move_to(MORNING + dt.timedelta(minutes=25), tick=False)
    page = client.get("/evaluations/").content.decode()
    assert "late: no progress for 25 min" in page
    assert "re-dispatched 2 chunks at 7:42 a.m." in page  # the reader's TIME_FORMAT
    assert "No run yet today" not in page


def test_no_run_yet_today_after_the_scheduled_time_and_the_sweeper_starts_it(
    client, admin_ada, portfolio, settings, time_machine  # noqa: F811
):
    settings.EVALUATION_TIME, settings.EVALUATION_STALL_MINUTES = "06:00", 15
    client.force_login(admin_ada)
    time_machine.move_to(dt.datetime.combine(TODAY, dt.time(6, 10), tzinfo=dt.UTC), tick=False)
    assert "No run yet today" not in client.get("/evaluations/").content.decode()  # still within the allowance
    assert sweep(dt.datetime.combine(TODAY, dt.time(6, 10), tzinfo=dt.UTC))["started"] is None

    at = dt.datetime.combine(TODAY, dt.time(6, 30), tzinfo=dt.UTC)
    time_machine.move_to(at, tick=False)
    assert "No run yet today: it was scheduled at 06:00" in client.get("/evaluations/").content.decode()
    assert sweep(at)["started"] == TODAY.isoformat()
    assert EvaluationRun.objects.get(date=TODAY).status == "done"
    assert "No run yet today" not in client.get("/evaluations/").content.decode()
