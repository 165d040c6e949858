import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from clients import services as client_services
from clients.models import ContactRole
from core.errors import ApplicationError, NotAllowedError
from flags import evaluation
from flags.models import EvaluationRun, Flag, FlagStatus, Resolution, TriggerRule
from interactions import services as interaction_services
from interactions.models import FollowUp, FollowUpStatus
from kpis import ingest
from kpis.models import Metric
from notifications.models import OutboxMessage
from playbooks import schedule, services, templating
from playbooks.models import PlaybookRun, RunStatus, StepStatus, Trigger
from playbooks.tests.conftest import STEPS
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 2)


def steps_of(run):
    return [(s.position, s.status, s.due_date) for s in run.steps.order_by("position")]


def start(playbook, client, by, **kwargs):
    return services.playbook_run_start(playbook=playbook, client=client, by=by, today=START, **kwargs)


# --- pure parts ------------------------------------------------------------------------------------------------


def test_due_dates_count_from_the_start_or_the_previous_step():
    steps = [schedule.StepTiming("start", 2), schedule.StepTiming("previous", 3), schedule.StepTiming("start", 1)]
    assert schedule.due_dates(started_on=START, steps=steps) == [
        dt.date(2026, 11, 4), dt.date(2026, 11, 7), dt.date(2026, 11, 3),
    ]  # fmt: skip
    closed_late = [schedule.StepTiming("start", 2, closed_on=dt.date(2026, 11, 10)), schedule.StepTiming("previous", 3)]
    assert schedule.due_dates(started_on=START, steps=closed_late)[1] == dt.date(2026, 11, 13)


def test_templates_fill_known_fields_only():
    assert templating.unknown_placeholders("Hi {contact_first_name}, {password}") == ["password"]
    text = templating.render("Hi {contact_first_name} at {client_name} {other}", {"client_name": "Acme"})
    assert text == "Hi  at Acme {other}"


# --- defining and versioning -----------------------------------------------------------------------------------


def test_only_admins_and_leads_define_playbooks(am_alice, lead_lena, am_oscar, admin_ada):
    with pytest.raises(NotAllowedError):
        services.playbook_create(by=am_alice, name="Mine", steps=STEPS, team_id=am_alice.team_id)
    with pytest.raises(NotAllowedError):
        services.playbook_create(by=lead_lena, name="Global", steps=STEPS, team_id=None)
    with pytest.raises(NotAllowedError):
        services.playbook_create(by=lead_lena, name="South", steps=STEPS, team_id=am_oscar.team_id)
    team_playbook = services.playbook_create(by=lead_lena, name="North", steps=STEPS, team_id=lead_lena.team_id)
    assert team_playbook.versions.get().steps.count() == 3
    global_playbook = services.playbook_create(by=admin_ada, name="Global", steps=STEPS)
    with pytest.raises(NotAllowedError):
        services.playbook_update(playbook=global_playbook, by=lead_lena, expected_version=None, name="Mine now")


def test_bad_steps_are_refused_with_the_step_named(admin_ada):
    bad_email = [{**STEPS[2], "email_body": "Dear {contact_password}"}]
    with pytest.raises(ApplicationError, match=r"Step 1: unknown field\(s\) \{contact_password\}"):
        services.playbook_create(by=admin_ada, name="X", steps=bad_email)
    with pytest.raises(ApplicationError, match="Step 2: say what has to be done"):
        services.playbook_create(by=admin_ada, name="X", steps=[STEPS[0], {"kind": "task", "title": " "}])
    with pytest.raises(ApplicationError, match="Add at least one step"):
        services.playbook_create(by=admin_ada, name="X", steps=[])
    with pytest.raises(ApplicationError) as exc_info:
        services.playbook_create(by=admin_ada, name="X", steps=STEPS, trigger=Trigger.FLAG)
    assert exc_info.value.field == "rules"


def test_editing_makes_a_new_version_and_runs_keep_theirs(playbook, alice_client, am_alice, admin_ada):
    run = start(playbook, alice_client, am_alice)
    updated = services.playbook_update(
        playbook=playbook,
        by=admin_ada,
        expected_version=playbook.version,
        steps=[{"kind": "task", "title": "Only step now", "offset_days": 1}],
    )
    assert updated.current_version == 2
    assert list(updated.versions.values_list("number", flat=True)) == [2, 1]
    run.refresh_from_db()
    assert run.playbook_version.number == 1
    assert [s.step.title for s in run.steps.order_by("position")] == [
        "Kick-off call",
        "Send the plan",
        "Welcome e-mail",
    ]
    # Unchanged steps make no new version; a stale editor is refused.
    again = services.playbook_update(
        playbook=updated,
        by=admin_ada,
        expected_version=updated.version,
        steps=[{"kind": "task", "title": "Only step now", "offset_days": 1}],
    )
    assert again.current_version == 2
    with pytest.raises(ApplicationError, match="changed this playbook"):
        services.playbook_update(playbook=updated, by=admin_ada, expected_version=1, name="Stale")


# --- running -----------------------------------------------------------------------------------------------------


def test_steps_come_due_one_after_another_with_a_controlled_clock(playbook, alice_client, am_alice, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False)
    run = start(playbook, alice_client, am_alice)
    assert steps_of(run) == [(1, "active", dt.date(2026, 11, 4)), (2, "pending", None), (3, "pending", None)]
    call = FollowUp.objects.get()
    assert (call.title, call.owner, call.due_date, call.origin) == (
        "Call: Kick-off call",
        am_alice,
        START + dt.timedelta(days=2),
        "playbook",
    )

    time_machine.move_to(dt.datetime(2026, 11, 6, 9, tzinfo=dt.UTC), tick=False)  # done two days late
    interaction_services.followup_complete(followup=call, by=am_alice)  # as on My day
    assert steps_of(run)[:2] == [(1, "done", dt.date(2026, 11, 4)), (2, "active", dt.date(2026, 11, 9))]
    commitment = FollowUp.objects.get(status=FollowUpStatus.OPEN)
    assert commitment.is_commitment and commitment.due_date == dt.date(2026, 11, 9)


def test_a_step_is_skipped_with_a_reason(playbook, alice_client, am_alice):
    run = start(playbook, alice_client, am_alice)
    first = run.steps.get(position=1)
    with pytest.raises(ApplicationError):
        services.run_step_skip(run_step=first, by=am_alice, reason=" ", today=START)
    services.run_step_skip(run_step=first, by=am_alice, reason="They called us first.", today=START)
    first.refresh_from_db()
    assert (first.status, first.skip_reason) == (StepStatus.SKIPPED, "They called us first.")
    assert first.followup.status == FollowUpStatus.CANCELLED
    assert run.steps.get(position=2).status == StepStatus.ACTIVE


def test_the_email_is_drafted_and_sent_through_the_outbox_only_when_pressed(playbook, alice_client, am_alice, am_bob):
    alice_client.contacts.update(email="dora@nordwind.example")  # the decision maker of the fixture
    am_alice.email = "alice@crm.example"
    am_alice.save()
    run = start(playbook, alice_client, am_alice)
    for position in (1, 2):
        services.run_step_complete(run_step=run.steps.get(position=position), by=am_alice, today=START)
    email = run.steps.get(position=3)
    assert email.status == StepStatus.ACTIVE
    assert (email.draft_to, email.draft_subject) == ("dora@nordwind.example", "Welcome, Nordwind Logistics")
    assert email.draft_body == f"Dear Dora, I am {am_alice}."
    assert not OutboxMessage.objects.exists()  # drafted only
    with pytest.raises(NotAllowedError):
        services.run_step_send(
            run_step=email, by=am_bob, to="dora@nordwind.example", subject="Hi", body="x", today=START
        )
    with pytest.raises(ApplicationError) as exc_info:
        services.run_step_send(run_step=email, by=am_alice, to="not an address", subject="Hi", body="x", today=START)
    assert exc_info.value.field == "to"
    services.run_step_send(
        run_step=email, by=am_alice, to="dora@nordwind.example", subject="Welcome!", body="Hello", today=START
    )
    message = OutboxMessage.objects.get()
    assert (message.recipient, message.subject, message.key) == (
        "dora@nordwind.example",
        "Welcome!",
        f"playbook-step:{email.pk}",
    )
    run.refresh_from_db()
    assert (run.status, run.completed_on) == (RunStatus.COMPLETED, START)


def test_completing_the_last_step_resolves_the_flag(admin_ada, alice_client, am_alice):
    playbook = services.playbook_create(by=admin_ada, name="Save", steps=[{"kind": "task", "title": "Fix it"}])
    flag = Flag.objects.create(
        client=alice_client,
        title="Risk",
        evidence="Orders fell",
        opened_on=START,
        last_seen_on=START,
        assigned_to=am_alice,
    )
    run = start(playbook, alice_client, am_alice, flag=flag)
    services.run_step_complete(run_step=run.steps.get(), by=am_alice, today=START)
    flag.refresh_from_db()
    assert (flag.status, flag.resolution, flag.resolved_by) == (FlagStatus.RESOLVED, Resolution.HANDLED, am_alice)
    assert flag.resolution_note == "Playbook “Save” completed: 1. Fix it (Done)."


def test_waits_end_on_the_daily_run(admin_ada, alice_client, am_alice):
    steps = [
        {"kind": "wait", "title": "Let it run", "offset_days": 10, "anchor": "start"},
        {"kind": "call", "title": "Check in"},
    ]
    playbook = services.playbook_create(by=admin_ada, name="Wait", steps=steps)
    run = start(playbook, alice_client, am_alice)
    assert steps_of(run) == [(1, "active", dt.date(2026, 11, 12)), (2, "pending", None)]
    services.playbooks_daily(today=dt.date(2026, 11, 11))
    assert steps_of(run)[0][1] == "active"
    services.playbooks_daily(today=dt.date(2026, 11, 12))
    assert steps_of(run) == [(1, "done", dt.date(2026, 11, 12)), (2, "active", dt.date(2026, 11, 12))]


def test_a_client_has_one_live_run_of_a_playbook(playbook, alice_client, am_alice, am_bob, am_oscar):
    with pytest.raises(NotAllowedError):
        start(playbook, alice_client, am_bob)  # a teammate reads, does not start
    run = start(playbook, alice_client, am_alice)
    with pytest.raises(ApplicationError, match="already has a run"):
        start(playbook, alice_client, am_alice)
    services.run_cancel(run=run, by=am_alice, reason="Wrong client")
    assert FollowUp.objects.get().status == FollowUpStatus.CANCELLED
    assert start(playbook, alice_client, am_alice).status == RunStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_two_starts_at_the_same_moment_make_one_live_run(playbook, alice_client, am_alice):
    barrier, results = threading.Barrier(2), []

    def start_one():
        try:
            barrier.wait()
            try:
                results.append(start(playbook, alice_client, am_alice).pk)
            except ApplicationError as exc:
                results.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=start_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert PlaybookRun.objects.filter(status=RunStatus.ACTIVE).count() == 1
    assert sorted(type(r).__name__ for r in results) == ["int", "str"]
    assert "already has a run" in next(r for r in results if isinstance(r, str))
    assert FollowUp.objects.count() == 1  # the refused start left nothing behind


# --- start rules -------------------------------------------------------------------------------------------------


def test_a_flag_of_a_chosen_rule_starts_its_playbook_and_the_evaluation_records_it(admin_ada, am_alice):
    rule = TriggerRule.objects.create(
        name="Orders falling", kind="kpi_drop", severity=2,
        params={"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28},
    )  # fmt: skip
    other = TriggerRule.objects.create(name="Quiet", kind="no_contact", params={"mode": "days", "days": 9999})
    playbook = services.playbook_create(
        by=admin_ada, name="Orders rescue", steps=[{"kind": "call", "title": "Ask why"}], trigger=Trigger.FLAG,
        rule_ids=[rule.pk],
    )  # fmt: skip
    services.playbook_create(
        by=admin_ada, name="Other", steps=[{"kind": "task", "title": "x"}], trigger=Trigger.FLAG, rule_ids=[other.pk]
    )
    client = ClientFactory(owner=am_alice, team=am_alice.team)
    metric = Metric.objects.get(key="orders")
    day = dt.date(2026, 11, 24)
    ingest.upsert_values([(client.pk, metric.pk, day - dt.timedelta(days=a), 40 if a < 7 else 100) for a in range(35)])

    evaluation.evaluate_day_inline(on_date=day)

    flag = Flag.objects.get(rule=rule)
    run = PlaybookRun.objects.get()
    assert (run.playbook, run.client, run.flag, run.started_because, run.started_on) == (
        playbook,
        client,
        flag,
        "flag",
        day,
    )
    assert EvaluationRun.objects.get(date=day).playbooks_started == 1
    assert run.evaluation_run.date == day
    evaluation.evaluate_day_inline(on_date=day)  # the same day again: nothing new
    assert PlaybookRun.objects.count() == 1


def test_a_high_severity_flag_starts_the_save_plan(admin_ada, alice_client):
    services.playbook_create(
        by=admin_ada, name="Save plan", steps=[{"kind": "call", "title": "Call"}], trigger=Trigger.CHURN_RISK
    )
    low = Flag.objects.create(
        client=alice_client, title="Low", evidence="e", opened_on=START, last_seen_on=START, severity=2
    )
    high = Flag.objects.create(
        client=alice_client, title="High", evidence="e", opened_on=START, last_seen_on=START, severity=4
    )
    assert services.on_flags_opened(flag_ids=[low.pk], on_date=START) == 0
    assert services.on_flags_opened(flag_ids=[high.pk], on_date=START) == 1
    assert PlaybookRun.objects.get().started_because == Trigger.CHURN_RISK


def test_an_accepted_handoff_starts_onboarding(admin_ada, sales_sam, team_north, am_alice):
    onboarding = services.playbook_create(
        by=admin_ada, name="Onboarding", steps=[{"kind": "call", "title": "Kick-off"}], trigger=Trigger.HANDOFF
    )
    prospect = client_services.prospect_create(by=sales_sam, name="Acme GmbH")
    dora = client_services.contact_create(
        client=prospect, by=sales_sam, first_name="Dora", role=ContactRole.DECISION_MAKER
    )
    handoff, _ = client_services.handoff_create(
        by=sales_sam, client=prospect, deal_external_id="OPP-1", deal_name="Acme", deal_amount=Decimal("1000"),
        currency="EUR", close_date=dt.date.today(), goals="g", success_criteria="s", scope="x", risks="r",
        to_team=team_north, stakeholders=[dora],
    )  # fmt: skip
    client_services.handoff_accept(handoff=handoff, by=am_alice)
    run = PlaybookRun.objects.get()
    assert (run.playbook, run.client_id, run.started_because) == (onboarding, prospect.pk, Trigger.HANDOFF)
    assert FollowUp.objects.get(origin="playbook").owner == am_alice


def test_renewal_playbooks_start_days_before_once(admin_ada, am_alice):
    services.playbook_create(
        by=admin_ada, name="Renewal", steps=[{"kind": "task", "title": "Offer"}], trigger=Trigger.RENEWAL,
        days_before_renewal=60,
    )  # fmt: skip
    soon = ClientFactory(owner=am_alice, team=am_alice.team, renewal_date=START + dt.timedelta(days=60))
    ClientFactory(owner=am_alice, team=am_alice.team, renewal_date=START + dt.timedelta(days=61))
    assert services.playbooks_daily(today=START)["started"] == 1
    run = PlaybookRun.objects.get()
    assert (run.client, run.cause) == (soon, f"renewal:{soon.renewal_date.isoformat()}")
    services.run_cancel(run=run, by=am_alice, reason="Handled elsewhere")
    assert services.playbooks_daily(today=START + dt.timedelta(days=1))["started"] == 1  # the other one, now in range
    assert PlaybookRun.objects.filter(client=soon).count() == 1  # the same renewal never starts twice


def test_a_team_playbook_starts_only_on_its_teams_clients(lead_lena, alice_client, am_oscar, am_alice):
    playbook = services.playbook_create(
        by=lead_lena, name="North", steps=[{"kind": "task", "title": "x"}], team_id=lead_lena.team_id
    )
    south = ClientFactory(owner=am_oscar, team=am_oscar.team)
    with pytest.raises(ApplicationError, match="another team"):
        services.playbook_run_start(playbook=playbook, client=south, by=am_oscar, today=timezone.localdate())
    assert start(playbook, alice_client, am_alice).status == RunStatus.ACTIVE


def test_step_due_is_announced_once(playbook, alice_client, am_alice, monkeypatch):
    from core import events

    seen = []
    monkeypatch.setitem(events._subscribers, services.STEP_DUE, [lambda **payload: seen.append(payload)])
    run = start(playbook, alice_client, am_alice)
    services.playbooks_daily(today=START + dt.timedelta(days=2))
    services.playbooks_daily(today=START + dt.timedelta(days=3))
    assert [(p["run_id"], p["owner_id"], p["due_date"]) for p in seen] == [
        (run.pk, am_alice.pk, START + dt.timedelta(days=2))
    ]


def test_a_due_step_tells_its_owner_by_name(playbook, alice_client, am_alice):
    """Through the real notifications subscriber: the notice names the client, the step and the playbook."""
    from notifications.models import Notification

    start(playbook, alice_client, am_alice)
    services.playbooks_daily(today=START + dt.timedelta(days=2))
    texts = [str(n) for n in Notification.objects.filter(user=am_alice)]
    step_notices = [t for t in texts if playbook.name in t and alice_client.name in t]
    assert step_notices, texts
