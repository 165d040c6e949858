"""The morning runs of the last 14 days, replayed from an empty flag table, give exactly the stored flags.

Facts change over the fortnight the way they do at work, between the morning runs: calls are logged, a commitment
is promised, slips and is kept, a stakeholder leaves, a renewal date and a cadence change, orders fall, a client
churns. Each morning the real daily run (evaluate_day_inline) opens and closes flags; then the flags are deleted and
flags.backtest.replay reruns the 14 days through the same facts_as_of and flag_step.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from clients import services as client_services
from clients.models import ClientStatus
from flags import backtest, evaluation
from flags.models import Flag, TriggerRule
from interactions import services as interaction_services
from kpis import ingest
from kpis import selectors as kpi_selectors
from kpis.models import Metric
from kpis.services import metrics_ensure_defaults
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
START = dt.date(2026, 5, 4)
DAYS = [START + dt.timedelta(days=n) for n in range(14)]


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def stored_flags() -> set[tuple]:
    """The stored flags as the mornings saw them. A contact flag closes at once when the call is logged (in the
    afternoon, flags.services.contact_rules_reevaluate); the replay evaluates mornings only, so it sees that close
    the next morning, exactly when the daily run used to close it."""
    rows = Flag.objects.filter(rule__isnull=False).values_list(
        "client_id", "rule_id", "opened_on", "closed_on", "resolution", "interaction_id"
    )
    return {
        (client_id, rule_id, opened, closed + dt.timedelta(days=1) if resolution == "handled" and by_call else closed)
        for client_id, rule_id, opened, closed, resolution, by_call in rows
    }


@pytest.fixture
def rules(db):
    metrics_ensure_defaults()
    made = [
        TriggerRule(name="Silent", kind="no_contact", params={"mode": "days", "days": 3}, cooldown_days=2),
        TriggerRule(name="Cadence", kind="no_contact", params={"mode": "cadence", "grace_days": 0}, cooldown_days=3),
        TriggerRule(name="Promise late", kind="commitment_overdue", params={"min_days": 0}, cooldown_days=1),
        TriggerRule(name="Champion gone", kind="stakeholder_left", params={"within_days": 30}, cooldown_days=5),
        TriggerRule(name="Renewal, no QBR", kind="renewal_no_review", params={"days": 30}, cooldown_days=1),
        TriggerRule(
            name="Orders falling",
            kind="kpi_drop",
            params={"metric": "orders", "drop_pct": 30, "recent_days": 3, "baseline_days": 14},
            cooldown_days=2,
        ),
    ]
    for rule in made:
        rule.save()
    return made


def test_fourteen_mornings_replayed_from_an_empty_flag_table_give_the_stored_flags(rules, am_alice, lead_lena):
    orders = Metric.objects.get(key="orders")
    with time_machine.travel(at(START - dt.timedelta(days=20), 9), tick=False):
        calls = [client_services.client_create(by=am_alice, name=f"Replay {n}") for n in range(6)]
        quiet, promised, champion, renewing, falling, churning = calls
        for client in calls:
            interaction_services.interaction_log(
                client=client, by=am_alice, kind="call", occurred_at=timezone.now(), summary="Kick-off"
            )
        dora = ContactFactory(client=champion, first_name="Dora", role="champion")
        ingest.upsert_values(
            [(c.pk, orders.pk, START - dt.timedelta(days=age), 100.0) for c in calls for age in range(1, 21)]
        )
    client_services.client_update(client=quiet, by=am_alice, expected_version=None, contact_cadence_days=25)

    commitment = None
    for index, day in enumerate(DAYS):
        with time_machine.travel(at(day, 5), tick=False):  # the backend pushes yesterday's orders before dawn
            value = 20.0 if index >= 5 else 100.0
            ingest.upsert_values(
                [(c.pk, orders.pk, day - dt.timedelta(days=1), value if c == falling else 100.0) for c in calls]
            )
        with time_machine.travel(at(day, 6), tick=False):
            run = evaluation.evaluate_day_inline(on_date=day)
            assert run.status == "done", run.errors
        with time_machine.travel(at(day, 14), tick=False):  # the working day changes the facts
            if index in (1, 9):
                interaction_services.interaction_log(
                    client=quiet, by=am_alice, kind="call", occurred_at=timezone.now(), summary="Catch-up"
                )
            if index == 2:
                commitment = interaction_services.followup_create(
                    client=promised, by=am_alice, title="Send the pricing", due_date=day + dt.timedelta(days=1),
                    is_commitment=True,
                )  # fmt: skip
            if index == 6:
                commitment = interaction_services.followup_reschedule(
                    followup=commitment, by=am_alice, due_date=day + dt.timedelta(days=2), reason="Waiting for legal"
                )
            if index == 10:
                interaction_services.followup_complete(followup=commitment, by=am_alice)
            if index == 3:
                client_services.contact_update(
                    contact=dora, by=am_alice, expected_version=None, is_active=False, left_on=day
                )
            if index == 4:
                client_services.client_update(
                    client=renewing, by=am_alice, expected_version=None, renewal_date=day + dt.timedelta(days=20)
                )
            if index == 8:
                client_services.client_update(client=quiet, by=am_alice, expected_version=None, contact_cadence_days=60)
            if index == 7:
                client_services.client_status_change(
                    client=churning, by=am_alice, status=ClientStatus.CHURNED, churn_reason="competitor", today=day
                )

    # The calls of days 2 and 10 closed the contact flags of that client at once, handled by the call.
    handled = Flag.objects.filter(client=quiet, resolution="handled", interaction__isnull=False)
    assert {f.closed_on for f in handled} >= {DAYS[1]}
    stored = stored_flags()
    kinds = {TriggerRule.objects.get(pk=rule_id).kind for _, rule_id, _, _ in stored}
    assert kinds >= {"no_contact", "commitment_overdue", "stakeholder_left", "renewal_no_review", "kpi_drop"}
    assert any(closed is not None for *_, closed in stored)  # some flags closed themselves along the way
    assert any(client_id == churning.pk for client_id, *_ in stored)

    Flag.objects.all().delete()
    specs, errors = evaluation.active_rules(kpi_selectors.metric_metadata())
    assert errors == []
    with time_machine.travel(at(DAYS[-1], 18), tick=False):
        played = backtest.replay(
            specs=specs,
            client_ids=[c.pk for c in calls],
            start=DAYS[0],
            end=DAYS[-1],
            metrics=kpi_selectors.metric_metadata(),
        )
    replayed = {(f.client_id, f.rule_id, f.opened_on, f.closed_on) for f in played.flags}
    assert replayed == stored
    # The churn took effect on day 8, recorded at 14:00: that morning's run (06:00) still evaluated the client, as
    # its replay does; no later morning did.
    assert max(played.live_days[churning.pk]) == DAYS[7]
    assert evaluation.facts_for(client_ids=[churning.pk], on_date=DAYS[8], specs=specs) == []


def test_facts_recorded_after_a_morning_do_not_change_its_replay(rules, am_alice):
    """A call logged in the afternoon, back-dated to the morning before the run, does not rewrite that morning."""
    day = START
    with time_machine.travel(at(day - dt.timedelta(days=10), 9), tick=False):
        client = client_services.client_create(by=am_alice, name="Late Entry")
    with time_machine.travel(at(day, 6), tick=False):
        evaluation.evaluate_day_inline(on_date=day)
    stored = stored_flags()
    assert any(c == client.pk for c, *_ in stored)  # never contacted: flagged that morning
    with time_machine.travel(at(day, 15), tick=False):
        interaction_services.interaction_log(
            client=client, by=am_alice, kind="call", occurred_at=at(day, 5), summary="Early call, logged late"
        )
    Flag.objects.all().delete()
    specs, _ = evaluation.active_rules(kpi_selectors.metric_metadata())
    played = backtest.replay(
        specs=specs, client_ids=[client.pk], start=day, end=day, metrics=kpi_selectors.metric_metadata()
    )
    assert {(f.client_id, f.rule_id, f.opened_on, f.closed_on) for f in played.flags} == stored
