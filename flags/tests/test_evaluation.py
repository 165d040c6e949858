import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from flags import evaluation
from flags import services as flag_services
from flags.models import EvaluationChunk, EvaluationRun, Flag, FlagStatus, Resolution, TriggerRule
from kpis import ingest
from kpis.models import Metric
from notifications.models import Notification
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 24)


def orders(client, *, recent: float, baseline: float = 100.0, until: dt.date = TODAY):
    metric = Metric.objects.get(key="orders")
    rows = [
        (client.pk, metric.pk, until - dt.timedelta(days=age), recent if age < 7 else baseline) for age in range(35)
    ]
    ingest.upsert_values(rows)


@pytest.fixture
def rule(db):
    return TriggerRule.objects.create(
        name="Orders falling",
        kind="kpi_drop",
        params={"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28},
        severity=3,
        cooldown_days=10,
    )


@pytest.fixture
def falling(am_alice):
    client = ClientFactory(owner=am_alice, team=am_alice.team)
    orders(client, recent=40)
    return client


@pytest.fixture
def steady(am_alice):
    client = ClientFactory(owner=am_alice, team=am_alice.team)
    orders(client, recent=100)
    return client


def live_flags():
    return sorted(Flag.objects.filter(status__in=["open", "snoozed"]).values_list("client_id", "rule_id", "status"))


def test_a_match_opens_one_flag_for_the_owner_with_evidence(rule, falling, steady, am_alice):
    run = evaluation.evaluate_day_inline(on_date=TODAY)
    assert (run.status, run.clients, run.flags_opened, run.flags_closed) == ("done", 2, 1, 0)
    flag = Flag.objects.get()
    assert (flag.client, flag.assigned_to, flag.severity, flag.opened_on) == (falling, am_alice, 3, TODAY)
    assert flag.evidence == "Orders 7 days: 280 vs 700 average of the previous 4 weeks, -60%"
    assert Notification.objects.get().user == am_alice


def test_running_the_same_day_twice_leaves_the_same_flags(rule, falling, steady):
    evaluation.evaluate_day_inline(on_date=TODAY)
    before = list(Flag.objects.values_list("pk", "client_id", "status", "evidence"))
    again = evaluation.evaluate_day_inline(on_date=TODAY)
    assert (again.attempt, again.flags_opened, again.flags_closed) == (2, 0, 0)
    assert list(Flag.objects.values_list("pk", "client_id", "status", "evidence")) == before


def test_a_redelivered_chunk_changes_nothing(rule, falling, steady):
    _run, chunks = evaluation.run_start(on_date=TODAY)
    assert evaluation.chunk_process(chunk_id=chunks[0].pk) is True
    state = (live_flags(), EvaluationRun.objects.values_list("flags_opened", "chunks_done").get())
    assert evaluation.chunk_process(chunk_id=chunks[0].pk) is False
    assert (live_flags(), EvaluationRun.objects.values_list("flags_opened", "chunks_done").get()) == state


def test_a_day_is_not_run_twice_at_the_same_time(rule, falling):
    assert evaluation.run_start(on_date=TODAY) is not None
    assert evaluation.run_start(on_date=TODAY) is None  # the first is still running
    assert EvaluationChunk.objects.count() == 1


def test_the_database_refuses_a_second_live_flag(rule, falling):
    evaluation.evaluate_day_inline(on_date=TODAY)
    flag = Flag.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(
            client=falling, rule=rule, title="x", evidence="x", opened_on=TODAY, last_seen_on=TODAY, status="snoozed"
        )
    flag_services.flag_dismiss(flag=flag, by=flag.assigned_to, reason="noise")
    Flag.objects.create(client=falling, rule=rule, title="x", evidence="x", opened_on=TODAY, last_seen_on=TODAY)


def test_auto_close_then_cooldown(rule, falling):
    evaluation.evaluate_day_inline(on_date=TODAY)
    orders(falling, recent=100, until=TODAY + dt.timedelta(days=1))  # recovered
    run = evaluation.evaluate_day_inline(on_date=TODAY + dt.timedelta(days=1))
    flag = Flag.objects.get()
    assert (run.flags_closed, flag.status, flag.resolution) == (1, FlagStatus.RESOLVED, Resolution.CLEARED)
    assert flag.resolution_note.startswith("The condition no longer held")
    orders(falling, recent=40, until=TODAY + dt.timedelta(days=2))  # falls again, inside the cooldown
    evaluation.evaluate_day_inline(on_date=TODAY + dt.timedelta(days=2))
    assert Flag.objects.count() == 1
    orders(falling, recent=40, until=TODAY + dt.timedelta(days=11))  # cooldown (10 days) over
    evaluation.evaluate_day_inline(on_date=TODAY + dt.timedelta(days=11))
    assert Flag.objects.filter(status=FlagStatus.OPEN).count() == 1


def test_rules_without_auto_close_keep_the_flag(rule, falling):
    rule.auto_close = False
    rule.save()
    evaluation.evaluate_day_inline(on_date=TODAY)
    orders(falling, recent=100, until=TODAY + dt.timedelta(days=1))
    evaluation.evaluate_day_inline(on_date=TODAY + dt.timedelta(days=1))
    assert Flag.objects.get().status == FlagStatus.OPEN


def test_snooze_until_worse_wakes_only_when_worse(rule, falling, am_alice):
    evaluation.evaluate_day_inline(on_date=TODAY)
    flag = flag_services.flag_snooze(flag=Flag.objects.get(), by=am_alice, until_worse=True)
    assert flag.snooze_measure == pytest.approx(60.0)
    orders(falling, recent=45, until=TODAY + dt.timedelta(days=1))  # still falling, but less: stays quiet
    evaluation.evaluate_day_inline(on_date=TODAY + dt.timedelta(days=1))
    assert Flag.objects.get().status == FlagStatus.SNOOZED
    orders(falling, recent=10, until=TODAY + dt.timedelta(days=2))  # worse
    evaluation.evaluate_day_inline(on_date=TODAY + dt.timedelta(days=2))
    assert Flag.objects.get().status == FlagStatus.OPEN


def test_snooze_until_a_date(rule, falling, am_alice):
    evaluation.evaluate_day_inline(on_date=TODAY)
    today = timezone.localdate()
    flag_services.flag_snooze(flag=Flag.objects.get(), by=am_alice, until=today + dt.timedelta(days=3))
    flag = Flag.objects.get()
    flag.snoozed_until = TODAY + dt.timedelta(days=3)  # align with the evaluated calendar
    flag.save()
    orders(falling, recent=40, until=TODAY + dt.timedelta(days=2))
    evaluation.evaluate_day_inline(on_date=TODAY + dt.timedelta(days=2))
    assert Flag.objects.get().status == FlagStatus.SNOOZED
    orders(falling, recent=40, until=TODAY + dt.timedelta(days=3))
    evaluation.evaluate_day_inline(on_date=TODAY + dt.timedelta(days=3))
    assert Flag.objects.get().status == FlagStatus.OPEN


def test_team_and_segment_scoping(rule, falling, am_oscar):
    other = ClientFactory(owner=am_oscar, team=am_oscar.team)
    orders(other, recent=40)
    rule.team = falling.team
    rule.save()
    evaluation.evaluate_day_inline(on_date=TODAY)
    assert list(Flag.objects.values_list("client_id", flat=True)) == [falling.pk]


def test_a_broken_rule_is_reported_not_fatal(rule, falling):
    TriggerRule.objects.create(name="Broken", kind="kpi_drop", params={"metric": "gone"})
    run = evaluation.evaluate_day_inline(on_date=TODAY)
    assert run.status == "done" and run.flags_opened == 1
    assert run.errors == ["Rule 'Broken' skipped: Choose a KPI; 'gone' is not one."]


def test_a_failing_chunk_is_recorded_and_the_run_finishes(rule, falling, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(evaluation, "find_matches", explode)
    run = evaluation.evaluate_day_inline(on_date=TODAY)
    assert run.status == "failed" and run.chunks_done == run.chunks_total
    assert run.errors == ["Chunk 0: RuntimeError: database went away"]
    assert not Flag.objects.exists()


@pytest.fixture
def connection_drops_once(monkeypatch):
    """The first rule evaluation meets a dropped database connection; the calls are counted."""
    from django.db import OperationalError

    real, calls = evaluation.find_matches, []

    def drops_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(evaluation, "find_matches", drops_once)
    return calls


def test_a_transient_error_in_a_chunk_is_retried_not_recorded_as_a_failed_day(rule, falling, connection_drops_once):
    """A dropped connection (OperationalError) rolls the chunk back and the task policy retries it."""
    from flags import tasks

    run, chunks = evaluation.run_start(on_date=TODAY)
    result = tasks.evaluate_chunk.apply(args=[chunks[0].pk], throw=False)  # in-process, retries included
    run.refresh_from_db()
    assert result.state == "SUCCESS"
    assert len(connection_drops_once) == 2
    assert (run.status, run.errors, run.flags_opened, run.chunks_done) == ("done", [], 1, 1)
    assert list(Flag.objects.values_list("client_id", flat=True)) == [falling.pk]


def test_the_inline_run_retries_a_transient_error_too(rule, falling, connection_drops_once):
    from django.db import OperationalError

    with pytest.raises(OperationalError):  # inside a test's transaction the connection cannot be replaced
        evaluation.evaluate_day_inline(on_date=TODAY)
    assert not EvaluationRun.objects.filter(date=TODAY, status="failed").exists()


class TestOneDecisionForTheDailyRunAndTheBacktest:
    def test_flag_step(self):
        day = dt.date(2026, 5, 10)

        def step(*, matched, live_opened_on=None, last_closed_on=None):
            return evaluation.flag_step(
                on_date=day,
                matched=matched,
                live_opened_on=live_opened_on,
                last_closed_on=last_closed_on,
                cooldown_days=3,
                auto_close=True,
            )

        assert step(matched=True) == evaluation.FlagStep.OPEN
        assert step(matched=False) == evaluation.FlagStep.SKIP
        assert step(matched=True, live_opened_on=day) == evaluation.FlagStep.KEEP
        assert step(matched=False, live_opened_on=day - dt.timedelta(days=1)) == evaluation.FlagStep.CLOSE
        assert step(matched=False, live_opened_on=day + dt.timedelta(days=1)) == evaluation.FlagStep.KEEP
        assert step(matched=True, last_closed_on=day - dt.timedelta(days=2)) == evaluation.FlagStep.SKIP  # cooling
        assert step(matched=True, last_closed_on=day - dt.timedelta(days=3)) == evaluation.FlagStep.OPEN
        no_auto_close = evaluation.flag_step(
            on_date=day, matched=False, live_opened_on=day, last_closed_on=None, cooldown_days=3, auto_close=False
        )
        assert no_auto_close == evaluation.FlagStep.KEEP

    def test_the_backtest_replays_what_the_daily_run_does(self, am_alice):
        from flags import backtest
        from interactions.models import Interaction
        from kpis import selectors as kpi_selectors

        start = dt.date(2026, 5, 1)
        client = ClientFactory(owner=am_alice, team=am_alice.team)
        for offset in (-1, 4, 8):  # calls on the day before the replay, on day 5 and on day 9
            noon = timezone.make_aware(dt.datetime.combine(start + dt.timedelta(days=offset), dt.time(12)))
            Interaction.objects.create(client=client, author=am_alice, kind="call", occurred_at=noon, summary="Call")
        rule = TriggerRule.objects.create(
            name="Silent", kind="no_contact", params={"mode": "days", "days": 2}, cooldown_days=4, auto_close=True
        )
        spec = evaluation.rule_spec(rule, kpi_selectors.metric_metadata())
        days = [start + dt.timedelta(days=n) for n in range(12)]

        replay = backtest.backtest(spec=spec, user=am_alice, days=len(days), until=days[-1])
        daily = []
        for day in days:
            with transaction.atomic():
                matches = evaluation.find_matches(client_ids=[client.pk], on_date=day, specs=[spec], metrics={})
                result = evaluation.reconcile_flags(client_ids=[client.pk], on_date=day, specs=[spec], matches=matches)
            daily.append((day, len(result.opened)))

        # Opens on day 3 (three days silent), closes on day 5 (a call), cools down over day 8, opens on day 12.
        assert [day for day, opened in daily if opened] == [days[2], days[11]]
        assert replay.per_day == daily
        assert Flag.objects.filter(client=client, rule=rule).count() == 2
