"""The honest back-test: burn-in, the warning horizon, precision against the base rate, recall, lead times, what AMs
did with the real flags; the rules page reads stored scorecards in a constant number of queries; a saved rule's
back-test runs as a background job the page polls."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from clients import services as client_services
from clients.models import ClientStatus
from flags import backtest, evaluation
from flags import services as flag_services
from flags.models import BacktestJob, Flag, Resolution, RuleScorecard, TriggerRule
from interactions import services as interaction_services
from kpis import selectors as kpi_selectors

pytestmark = pytest.mark.django_db
UNTIL = dt.date(2026, 9, 30)
START = UNTIL - dt.timedelta(days=29)


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def noon(n: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day(n), dt.time(12)))


@pytest.fixture
def world(am_alice, admin_ada):
    """A never contacted (flagged on day 0, churns day 20); B called on day 0 only (flag day 6, churns day 15); C called
    on days 0 and 8 (flag days 6-8, churns day 12); D called every 3 days (never flagged, stays)."""
    rule = TriggerRule.objects.create(
        name="Silent", kind="no_contact", params={"mode": "days", "days": 5}, cooldown_days=0
    )
    with time_machine.travel(noon(-10), tick=False):
        a, b, c, d = (client_services.client_create(by=am_alice, name=name) for name in "ABCD")
    with time_machine.travel(timezone.make_aware(dt.datetime.combine(UNTIL, dt.time(18))), tick=False):
        for client, days in ((b, [0]), (c, [0, 8]), (d, range(-1, 30, 3))):
            for n in days:
                interaction_services.interaction_log(
                    client=client, by=am_alice, kind="call", occurred_at=noon(n), summary="Call"
                )
        for client, n in ((a, 20), (b, 15), (c, 12)):
            client_services.client_status_change(
                client=client, by=admin_ada, status=ClientStatus.CHURNED, churn_reason="price",
                effective_on=day(n), today=UNTIL,
            )  # fmt: skip
    spec = evaluation.rule_spec(rule, kpi_selectors.metric_metadata())
    return {"rule": rule, "spec": spec, "a": a, "b": b, "c": c, "d": d}


def run(world, user, horizon: int) -> backtest.BacktestResult:
    return backtest.backtest(spec=world["spec"], user=user, days=30, until=UNTIL, horizon_days=horizon)


def test_the_figures_of_a_back_test(world, am_alice):
    result = run(world, am_alice, horizon=10)
    # Burn-in: A's condition already held on the first day; that flag is no warning.
    assert (result.burn_in_flags, result.warnings) == (1, 2)
    assert result.followed == 2 and result.precision == 1.0
    # Live account-days after the first day (A 19, B 14, C 11, D 29), followed by a churn within 10 days (10+10+10).
    assert (result.live_client_days, result.client_days_followed) == (73, 30)
    assert result.base_rate == pytest.approx(30 / 73) and result.lift == pytest.approx(73 / 30)
    assert (result.churns, result.churns_warned, result.recall) == (3, 2, pytest.approx(2 / 3))
    leads = {item.client: item.days_earlier for item in result.lead_times}
    assert leads == {"A": None, "B": 9, "C": 6}
    assert result.lead_time_quartiles == (6.75, 7.5, 8.25)
    assert result.flags_per_am_week == pytest.approx(2 / 1 / (30 / 7))
    assert result.per_am == [(am_alice.username, 2, 2)]


def test_a_churn_is_warned_only_when_a_flag_was_live_within_the_horizon(world, am_alice):
    """C's flag closed on day 8 (a call); C churned on day 12: warned with a 4-day horizon, not with a 3-day one."""
    warned = lambda horizon: {i.client: i.first_warning for i in run(world, am_alice, horizon).lead_times}["C"]  # noqa: E731
    assert warned(4) == day(6)
    assert warned(3) is None


def test_churned_clients_are_not_replayed_after_their_churn(world, am_alice):
    result = run(world, am_alice, horizon=10)
    assert result.total_flags == 3  # A day 0, B day 6, C day 6; C would have reopened on day 14 had it stayed
    played = backtest.replay(specs=[world["spec"]], client_ids=[world["c"].pk], start=START, end=UNTIL, metrics={})
    assert max(played.live_days[world["c"].pk]) == day(11)


def test_what_ams_did_with_the_rules_real_flags(world, am_alice):
    for resolution, note in ((Resolution.HANDLED, "Called"), (Resolution.DISMISSED, "Seasonal client")):
        Flag.objects.create(
            client=world["d"], rule=world["rule"], title="Silent", evidence="x", opened_on=day(3),
            last_seen_on=day(3), closed_on=day(4), status="resolved", resolution=resolution, resolution_note=note,
        )  # fmt: skip
    handling = run(world, am_alice, horizon=10).handling
    assert (handling.total, handling.handled_share, handling.dismissed_share) == (2, 0.5, 0.5)
    assert handling.reasons == ["Seasonal client"]


def test_the_saved_rules_back_test_runs_as_a_job_the_page_polls(
    world, client, lead_lena, django_capture_on_commit_callbacks
):
    client.force_login(lead_lena)
    at = timezone.make_aware(dt.datetime.combine(UNTIL, dt.time(19)))
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        page = client.get(f"/rules/{world['rule'].pk}/backtest/", {"period": "90", "horizon": "30"})
    assert page.status_code == 200
    job = BacktestJob.objects.get()
    assert (job.status, job.days, job.horizon_days, job.days_done) == ("done", 90, 30, 90)  # eager worker
    # 90 days reach back before the clients existed: nothing held on the first day, so nothing is burnt in.
    assert job.figures["churns"] == 3 and job.figures["burn_in_flags"] == 0
    assert f"/backtests/{job.pk}/" in page.content.decode()  # the page polls the job (queued when it rendered)
    status = client.get(f"/backtests/{job.pk}/")
    assert status.status_code == 200 and "backtest-figures" in status.content.decode()
    assert "Precision" in status.content.decode() and "hx-trigger" not in status.content.decode()


def test_a_running_job_shows_its_progress_and_polls(world, lead_lena, client):
    job = BacktestJob.objects.create(
        rule=world["rule"], requested_by=lead_lena, days=365, horizon_days=90, until=UNTIL, days_done=73,
        status="running",
    )  # fmt: skip
    client.force_login(lead_lena)
    body = client.get(f"/backtests/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in body and "73 of 365" in body and 'value="20" max="100"' in body


@pytest.mark.parametrize("count", [3, 30])
def test_the_rules_page_shows_every_rules_figures_in_constant_queries(
    count, client, admin_ada, am_alice, django_assert_max_num_queries
):
    for n in range(count):
        TriggerRule.objects.create(name=f"Rule {n:02d}", kind="no_contact", params={"mode": "days", "days": 5 + n})
    client_services.client_create(by=am_alice, name="Quiet")
    assert flag_services.rule_scorecards_refresh(today=timezone.localdate(), days=7) == count
    assert RuleScorecard.objects.count() == count
    client.force_login(admin_ada)
    with django_assert_max_num_queries(12):
        page = client.get("/rules/")
    body = page.content.decode()
    assert body.count("Not back-tested yet") == 0 and "Lift" in body
