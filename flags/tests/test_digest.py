"""Exactly one digest e-mail per user and day, whatever is repeated; the inline run sends them too."""

from __future__ import annotations

import io
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from flags import digest, evaluation, tasks
from flags.models import EvaluationRun, TriggerRule
from flags.tests.test_evaluation import TODAY, orders
from kpis.services import metrics_ensure_defaults
from notifications.models import OutboxMessage, OutboxStatus
from tests.factories import ClientFactory


@pytest.fixture
def rule(db):
    return TriggerRule.objects.create(
        name="Orders falling",
        kind="kpi_drop",
        params={"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28},
    )


@pytest.fixture
def portfolio(rule, am_alice, am_bob, am_oscar):
    """Falling accounts for three AMs (each gets a digest), three chunks of one client."""
    metrics_ensure_defaults()  # a transactional test may start after another one's flush removed them
    clients = []
    for owner in (am_alice, am_bob, am_oscar):
        client = ClientFactory(owner=owner, team=owner.team)
        orders(client, recent=40)
        clients.append(client)
    return clients


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.mark.django_db
def test_the_inline_run_sends_the_digests_and_a_rerun_day_sends_none(portfolio, am_alice, am_bob, am_oscar):
    out = io.StringIO()
    call_command("evaluate_day", "--date", TODAY.isoformat(), stdout=out)
    assert "3 digest e-mail(s) sent" in out.getvalue()
    assert recipients() == sorted([am_alice.email, am_bob.email, am_oscar.email])
    assert "1 new flag" in mail.outbox[0].subject

    call_command("evaluate_day", "--date", TODAY.isoformat(), stdout=out)  # the same day again
    assert EvaluationRun.objects.get(date=TODAY).attempt == 2
    assert "0 digest e-mail(s) sent" in out.getvalue()
    assert len(mail.outbox) == 3
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 3


@pytest.mark.django_db
def test_a_redelivered_digest_task_sends_nothing_more(portfolio, am_alice, am_bob, am_oscar):
    evaluation.evaluate_day_inline(on_date=TODAY)
    tasks.send_daily_digests.delay(TODAY.isoformat())
    tasks.send_daily_digests.delay(TODAY.isoformat())  # the broker delivers it again
    assert recipients() == sorted([am_alice.email, am_bob.email, am_oscar.email])


@pytest.mark.django_db
def test_the_run_through_its_tasks_sends_once_even_when_chunks_are_redelivered(
    portfolio, settings, django_capture_on_commit_callbacks, am_alice, am_bob, am_oscar
):
    settings.HEALTH_CHUNK_SIZE = 1
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run_daily_evaluation.delay(TODAY.isoformat())
    run = EvaluationRun.objects.get(date=TODAY)
    assert (run.status, run.chunks_done) == ("done", 3)
    assert len(mail.outbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        for chunk in run.chunks.all():
            tasks.evaluate_chunk.delay(chunk.pk)  # every chunk redelivered
        for chunk in run.chunks.all():  # and each chunk's "the run finished" check repeated
            digest.queue_digests_if_run_finished(chunk_id=chunk.pk)
    assert recipients() == sorted([am_alice.email, am_bob.email, am_oscar.email])


def _together(*calls):
    """Run the calls in threads released at the same instant; re-raise what any of them raised."""
    barrier, errors = threading.Barrier(len(calls)), []

    def run(call):
        try:
            barrier.wait()
            call()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")


@pg_only
@pytest.mark.django_db(transaction=True)
def test_the_last_two_chunks_finishing_at_once_send_one_digest_each(
    portfolio, settings, smtp_server, am_alice, am_bob, am_oscar
):
    settings.HEALTH_CHUNK_SIZE = 1
    run, chunks = evaluation.run_start(on_date=TODAY)
    tasks.evaluate_chunk.delay(chunks[0].pk)
    assert smtp_server.messages == []
    # The last two chunks on two "workers" at once (eager tasks: each commits, then checks whether the run
    # finished and sends the digests itself).
    _together(lambda: tasks.evaluate_chunk.delay(chunks[1].pk), lambda: tasks.evaluate_chunk.delay(chunks[2].pk))
    run.refresh_from_db()
    assert (run.status, run.chunks_done) == ("done", 3)
    assert smtp_server.recipients() == sorted([am_alice.email, am_bob.email, am_oscar.email])


@pg_only
@pytest.mark.django_db(transaction=True)
def test_two_digest_senders_at_the_same_instant_send_one_each(portfolio, smtp_server, am_alice, am_bob, am_oscar):
    """Both last chunks saw the run finished and queued the digests: the two sends race."""
    evaluation.evaluate_day_inline(on_date=TODAY)
    sent = []
    _together(*[lambda: sent.append(digest.send_daily_digests(on_date=TODAY)) for _ in range(3)])
    assert sum(sent) == 3
    assert smtp_server.recipients() == sorted([am_alice.email, am_bob.email, am_oscar.email])
    assert OutboxMessage.objects.count() == 3


@pytest.mark.django_db
def test_each_digest_is_written_in_its_readers_language(portfolio, am_alice, am_bob):
    am_alice.language = "ru"
    am_alice.save(update_fields=["language"])
    call_command("evaluate_day", "--date", TODAY.isoformat(), stdout=io.StringIO())
    by_recipient = {message.to[0]: message for message in mail.outbox}
    # The day in the subject as each language writes it (Django's own month names).
    assert "Nov. 24, 2026" in by_recipient[am_bob.email].subject
    assert "24 ноября 2026" in by_recipient[am_alice.email].subject
