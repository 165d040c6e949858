"""The back-test's replay reads the period once (flags.facts.FactsCache: the KPI values its windows reach, the
lifecycle, the audit histories, the calls) and reads only the facts its rules need; it must still see, day by day,
what the straightforward replay sees: each day read on its own through facts_as_of, every fact read, no cache.

The small world below has what makes that hard: whole-number and fractional KPIs, a mean and a last-value KPI, gaps,
values pushed after some mornings' runs and values corrected later (so the stored runs' ``known_at`` leaves them
out), a churn, a status step back-dated later, a segment and a renewal date that change, calls, a commitment, a
stakeholder who leaves.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from clients import services as client_services
from clients.models import ClientStatus
from flags import backtest, evaluation, facts
from flags.models import EvaluationRun, RunStatus, TriggerRule
from interactions import services as interaction_services
from kpis import ingest
from kpis import selectors as kpi_selectors
from kpis.models import Metric
from kpis.services import metrics_ensure_defaults
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
UNTIL = dt.date(2026, 9, 30)
DAYS = 40
START = UNTIL - dt.timedelta(days=DAYS - 1)
RUN_DAYS = [START + dt.timedelta(days=n) for n in range(10, 22)]  # the days the product ran its morning run


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _value(key: str, index: int, age: int) -> float | None:
    """Client ``index``'s value of ``key`` ``age`` days before UNTIL (None: no value that day)."""
    if (age + index) % 9 == 0:
        return None  # gaps
    falling = index % 3 == 1 and age < 18
    if key == "orders":  # whole numbers: the running totals
        return float(4 if falling else 10 + (age + index) % 5)
    if key == "revenue":  # fractions: summed stretch by stretch
        return 20.25 if falling else 100.5 + (age % 4) * 0.25
    if key == "nps":  # a mean
        return -12.5 if falling else 30.0 + index
    return float(3 if falling else 8)  # seats: the last value


@pytest.fixture
def world(am_alice, admin_ada):
    metrics_ensure_defaults()
    Metric.objects.create(key="seats", name="Seats", unit="seats", higher_is_better=True, aggregation="last")
    metrics = {m.key: m for m in Metric.objects.all()}
    with time_machine.travel(at(START - dt.timedelta(days=60), 9), tick=False):
        clients = [client_services.client_create(by=am_alice, name=f"Same {n}") for n in range(7)]
        dora = ContactFactory(client=clients[2], first_name="Dora", role="champion")
        ingest.upsert_values(
            [
                (client.pk, metrics[key].pk, UNTIL - dt.timedelta(days=age), value)
                for index, client in enumerate(clients)
                for key in ("orders", "revenue", "nps", "seats")
                for age in range(DAYS + 40)
                if (value := _value(key, index, age)) is not None
            ]
        )
    for day in RUN_DAYS:
        EvaluationRun.objects.create(date=day, started_at=at(day, 6), status=RunStatus.DONE)
    # Pushed at 08:00, after that morning's run: that run (and its replay) did not see them, the next ones did.
    with time_machine.travel(at(RUN_DAYS[4], 8), tick=False):
        ingest.upsert_values(
            [(c.pk, metrics["orders"].pk, RUN_DAYS[4] - dt.timedelta(days=d), 1.0) for c in clients[:4] for d in (0, 1)]
        )
        ingest.upsert_values([(clients[0].pk, metrics["revenue"].pk, RUN_DAYS[4], 7.5)])
    # Corrected long after: no stored run saw the corrected values; the days without a run read them.
    with time_machine.travel(at(UNTIL, 20), tick=False):
        ingest.upsert_values(
            [(c.pk, metrics["seats"].pk, RUN_DAYS[6] - dt.timedelta(days=d), 1.0) for c in clients[3:] for d in (0, 2)]
        )
    with time_machine.travel(at(RUN_DAYS[2], 14), tick=False):
        for client in clients[:3]:
            interaction_services.interaction_log(
                client=client, by=am_alice, kind="call", occurred_at=timezone.now(), summary="Catch-up"
            )
        interaction_services.followup_create(
            client=clients[1], by=am_alice, title="Send the pricing", due_date=RUN_DAYS[4], is_commitment=True
        )
        client_services.client_update(
            client=clients[4], by=am_alice, expected_version=None, segment="enterprise",
            renewal_date=UNTIL - dt.timedelta(days=5),
        )  # fmt: skip
    with time_machine.travel(at(RUN_DAYS[5], 14), tick=False):
        client_services.contact_update(
            contact=dora, by=am_alice, expected_version=None, is_active=False, left_on=RUN_DAYS[5]
        )
        client_services.client_status_change(
            client=clients[5], by=admin_ada, status=ClientStatus.CHURNED, churn_reason="price", today=RUN_DAYS[5]
        )
    with time_machine.travel(at(UNTIL, 21), tick=False):  # back-dated by an admin after every run
        client_services.client_status_change(
            client=clients[6], by=admin_ada, status=ClientStatus.CHURNED, churn_reason="price",
            effective_on=RUN_DAYS[0], today=UNTIL,
        )  # fmt: skip
    made = [
        ("Orders falling", "kpi_drop", {"metric": "orders", "drop_pct": 30, "recent_days": 3, "baseline_days": 14}),
        ("Revenue falling", "kpi_drop", {"metric": "revenue", "drop_pct": 30, "recent_days": 7, "baseline_days": 14}),
        ("Unhappy", "kpi_threshold", {"metric": "nps", "direction": "below", "threshold": 0, "window_days": 14}),
        ("Seats low", "kpi_threshold", {"metric": "seats", "direction": "below", "threshold": 5, "window_days": 7}),
        ("Silent", "no_contact", {"mode": "days", "days": 5}),
        ("Promise late", "commitment_overdue", {"min_days": 0}),
        ("Champion gone", "stakeholder_left", {"within_days": 30}),
        ("Renewal, no QBR", "renewal_no_review", {"days": 30}),
    ]
    for name, kind, params in made:
        TriggerRule.objects.create(name=name, kind=kind, params=params, cooldown_days=2)
    TriggerRule.objects.create(
        name="Enterprise orders", kind="kpi_drop", segment="enterprise", cooldown_days=1,
        params={"metric": "orders", "drop_pct": 20, "recent_days": 3, "baseline_days": 7},
    )  # fmt: skip
    specs, errors = evaluation.active_rules(kpi_selectors.metric_metadata())
    assert errors == []
    return [c.pk for c in clients], specs


def _every_fact(*, ids, day, specs, known_at):
    """The straightforward read of one day: facts_as_of alone, every fact read."""
    return facts.facts_as_of(
        client_ids=ids,
        day=day,
        windows=evaluation.facts_needed(specs)["windows"],
        lookbacks=set(),
        known_at=known_at,
        replay=True,
        billing=True,
        freshness=True,
    )


def _matched(found) -> dict:
    return {key: (match.measure, match.data) for key, match in found.items()}


def _straightforward_replay(*, specs, ids, metrics) -> set[tuple]:
    """The morning runs of the period one day at a time, with the morning run's own decision (flag_step)."""
    moments = backtest.run_moments(start=START, end=UNTIL)
    by_id = {spec.id: spec for spec in specs}
    open_since: dict = {}
    closed_on: dict = {}
    flags: set[tuple] = set()
    for n in range(DAYS):
        day = START + dt.timedelta(days=n)
        day_facts = _every_fact(ids=ids, day=day, specs=specs, known_at=moments.get(day))
        matches = evaluation.match_facts(facts=day_facts, specs=specs, metrics=metrics)
        evaluated = {fact.client_id for fact in day_facts}
        for key in set(matches) | {key for key in open_since if key[0] in evaluated}:
            spec = by_id[key[1]]
            step = evaluation.flag_step(
                on_date=day, matched=key in matches, live_opened_on=open_since.get(key),
                last_closed_on=closed_on.get(key), cooldown_days=spec.cooldown_days, auto_close=spec.auto_close,
            )  # fmt: skip
            if step == evaluation.FlagStep.OPEN:
                open_since[key] = day
            elif step == evaluation.FlagStep.CLOSE:
                flags.add((*key, open_since.pop(key), day))
                closed_on[key] = day
    return flags | {(*key, since, None) for key, since in open_since.items()}


def test_each_replayed_day_sees_what_facts_as_of_alone_sees(world):
    ids, specs = world
    metrics = kpi_selectors.metric_metadata()
    moments = backtest.run_moments(start=START, end=UNTIL)
    assert len(moments) == len(RUN_DAYS)
    needed = evaluation.facts_needed(specs)
    cache = facts.FactsCache(
        client_ids=ids, windows=needed["windows"], start=START, end=UNTIL, known_at=True,
        commitments=True, stakeholders=True, calls=True,
    )  # fmt: skip
    kpi_only = [s for s in specs if s.kind in {"kpi_drop", "kpi_threshold"}]
    lean = facts.FactsCache(
        client_ids=ids, windows=evaluation.facts_needed(kpi_only)["windows"], start=START, end=UNTIL, known_at=True,
        commitments=False, stakeholders=False, calls=False,
    )  # fmt: skip
    assert lean.windows is not None and lean.commitments is None and lean.calls is None
    seen_late = 0
    for n in range(DAYS):
        day = START + dt.timedelta(days=n)
        known_at = moments.get(day)
        plain = _every_fact(ids=ids, day=day, specs=specs, known_at=known_at)
        cached = evaluation.facts_for(
            client_ids=ids, on_date=day, specs=specs, known_at=known_at, replay=True, cache=cache
        )
        assert [(f.client_id, f.owner_id) for f in cached] == [(f.client_id, f.owner_id) for f in plain], day
        assert [f.inputs.windows for f in cached] == [f.inputs.windows for f in plain], day
        assert _matched(evaluation.match_facts(facts=cached, specs=specs, metrics=metrics)) == _matched(
            evaluation.match_facts(facts=plain, specs=specs, metrics=metrics)
        ), day
        kpi_facts = evaluation.facts_for(
            client_ids=ids, on_date=day, specs=kpi_only, known_at=known_at, replay=True, cache=lean
        )
        assert _matched(evaluation.match_facts(facts=kpi_facts, specs=kpi_only, metrics=metrics)) == _matched(
            evaluation.match_facts(facts=plain, specs=kpi_only, metrics=metrics)
        ), day
        # The run of RUN_DAYS[4] did not see the values pushed after it: its windows differ from the day's records.
        if known_at is not None:
            as_recorded_now = _every_fact(ids=ids, day=day, specs=specs, known_at=None)
            seen_late += [f.inputs.windows for f in plain] != [f.inputs.windows for f in as_recorded_now]
    assert seen_late >= 3  # the stored runs' known_at mattered, and the cache honoured it


def test_the_replay_gives_the_flags_of_the_straightforward_replay(world):
    ids, specs = world
    metrics = kpi_selectors.metric_metadata()
    expected = _straightforward_replay(specs=specs, ids=ids, metrics=metrics)
    played = backtest.replay(specs=specs, client_ids=ids, start=START, end=UNTIL, metrics=metrics)
    assert {(f.client_id, f.rule_id, f.opened_on, f.closed_on) for f in played.flags} == expected
    kinds = {spec.kind for spec in specs if any(rule_id == spec.id for _, rule_id, _, _ in expected)}
    assert kinds >= {"kpi_drop", "kpi_threshold", "no_contact", "commitment_overdue", "stakeholder_left"}
    assert any(closed is not None for *_, closed in expected)
    for spec in specs:  # each rule replayed alone, reading only what it needs, gives its own flags
        alone = backtest.replay(specs=[spec], client_ids=ids, start=START, end=UNTIL, metrics=metrics)
        assert {(f.client_id, f.rule_id, f.opened_on, f.closed_on) for f in alone.flags} == {
            flag for flag in expected if flag[1] == spec.id
        }, spec.name
