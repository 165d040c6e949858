import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from flags.models import Flag
from interactions.models import FollowUp
from playbooks import services
from playbooks.models import Playbook, PlaybookRun, RunStatus, StepStatus
from playbooks.tests.conftest import STEPS
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def editor_post(*, name="Renewal prep", steps, version=None, **extra):
    data = {
        "name": name, "trigger": "manual", "days_before_renewal": 90, "resolves_flag": "on", "is_active": "on",
        "steps-TOTAL_FORMS": len(steps), "steps-INITIAL_FORMS": 0, "steps-MIN_NUM_FORMS": 0, "steps-MAX_NUM_FORMS": 30,
        **extra,
    }  # fmt: skip
    if version is not None:
        data["version"] = version
    for i, step in enumerate(steps):
        for key, value in step.items():
            data[f"steps-{i}-{key}"] = value
    return data


def step(title, order, **fields):
    return {"kind": "task", "title": title, "owner_role": "am", "offset_days": 1, "anchor": "previous",
            "ORDER": order, **fields}  # fmt: skip


def test_a_lead_defines_a_team_playbook_with_ordered_steps(client, lead_lena):
    client.force_login(lead_lena)
    assert client.get(reverse("playbooks:create")).status_code == 200
    data = editor_post(
        steps=[step("Second", 2), step("First", 1), step("Dropped", 3, DELETE="on")], team=lead_lena.team_id
    )
    response = client.post(reverse("playbooks:create"), data)
    playbook = Playbook.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("playbooks:detail", args=[playbook.pk])
    assert playbook.team_id == lead_lena.team_id
    assert [s.title for s in playbook.versions.get().steps.order_by("position")] == ["First", "Second"]


def test_the_editor_shows_errors_on_the_fields_and_writes_nothing(client, admin_ada):
    client.force_login(admin_ada)
    bad = editor_post(name="", steps=[step("", 1), step("Mail", 2, kind="email", email_body="Hi {secret}")])
    response = client.post(reverse("playbooks:create"), bad)
    assert response.status_code == 200
    form, formset = response.context["form"], response.context["formset"]
    assert "name" in form.errors
    assert "title" in formset.forms[0].errors
    assert formset.forms[1].errors["email_body"] == ["Unknown field(s): {secret}."]
    assert "contact_role" in formset.forms[1].errors
    assert not Playbook.objects.exists()
    assert client.post(reverse("playbooks:create"), editor_post(steps=[])).status_code == 200  # no step: refused
    assert not Playbook.objects.exists()


def test_editing_in_the_editor_makes_a_version(client, admin_ada, playbook):
    client.force_login(admin_ada)
    assert client.get(reverse("playbooks:edit", args=[playbook.pk])).status_code == 200
    response = client.post(
        reverse("playbooks:edit", args=[playbook.pk]),
        editor_post(name="Onboarding", steps=[step("Only", 1)], version=playbook.version),
    )
    assert response.status_code == 302
    playbook.refresh_from_db()
    assert playbook.current_version == 2
    stale = client.post(
        reverse("playbooks:edit", args=[playbook.pk]), editor_post(name="X", steps=[step("Only", 1)], version=1)
    )
    assert stale.status_code == 200, stale
    assert "changed this playbook" in str(stale.context["form"].non_field_errors()), (
        stale.context["formset"].errors,
        stale.context["formset"].non_form_errors(),
    )


def test_start_by_hand_previews_then_starts_on_confirmation(client, am_alice, alice_client, playbook, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False)
    client.force_login(am_alice)
    url = reverse("playbooks:start", args=[alice_client.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Onboarding" in page.content.decode()
    preview = client.get(url, {"playbook": playbook.pk})
    assert "Call: " not in preview.content.decode() and "planned for" in preview.content.decode()
    assert not PlaybookRun.objects.exists()  # a preview starts nothing
    response = client.post(url, {"playbook": playbook.pk, "confirm": "1"})
    run = PlaybookRun.objects.get()
    assert response["Location"] == reverse("playbooks:run", args=[run.pk])
    assert FollowUp.objects.get().origin == "playbook"
    # The client page and My day show it.
    detail = client.get(reverse("clients:detail", args=[alice_client.pk])).content.decode()
    assert 'id="playbooks-panel"' in detail and "0 of 3 steps closed" in detail
    time_machine.move_to(dt.datetime(2026, 11, 4, 9, tzinfo=dt.UTC), tick=False)  # the call's due day
    client.force_login(am_alice)
    assert "Call: Kick-off call" in client.get(reverse("dashboards:my_day")).content.decode()


def test_start_from_a_flag_shows_on_the_flag_page(client, am_alice, alice_client, playbook):
    today = timezone.localdate()
    flag = Flag.objects.create(client=alice_client, title="Risk", evidence="e", opened_on=today, last_seen_on=today)
    client.force_login(am_alice)
    page = client.get(reverse("flags:detail", args=[flag.pk])).content.decode()
    assert f"{reverse('playbooks:start', args=[alice_client.pk])}?flag={flag.pk}" in page
    client.post(
        reverse("playbooks:start", args=[alice_client.pk]), {"playbook": playbook.pk, "flag": flag.pk, "confirm": "1"}
    )
    assert PlaybookRun.objects.get().flag == flag
    assert "Onboarding" in client.get(reverse("flags:detail", args=[flag.pk])).content.decode()


def test_skip_needs_a_reason_and_send_goes_to_the_outbox(client, am_alice, alice_client, playbook):
    run = services.playbook_run_start(playbook=playbook, client=alice_client, by=am_alice, today=timezone.localdate())
    first = run.steps.get(position=1)
    client.force_login(am_alice)
    url = reverse("playbooks:step_skip", args=[run.pk, first.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    assert client.post(url, {"reason": "Already called"}).status_code == 302
    first.refresh_from_db()
    assert first.status == StepStatus.SKIPPED
    second = run.steps.get(position=2)
    client.post(reverse("playbooks:step_complete", args=[run.pk, second.pk]))
    email = run.steps.get(position=3)
    send = reverse("playbooks:step_send", args=[run.pk, email.pk])
    assert client.get(send).status_code == 200
    assert client.post(send, {"to": "nope", "subject": "s", "body": "b"}).status_code == 200
    assert client.post(send, {"to": "dora@example.com", "subject": "s", "body": "b"}).status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.COMPLETED


def test_pages_cost_a_constant_number_of_queries(client, am_alice, admin_ada, playbook, django_assert_max_num_queries):
    for _ in range(6):
        other = ClientFactory(owner=am_alice, team=am_alice.team)
        services.playbook_run_start(playbook=playbook, client=other, by=am_alice, today=timezone.localdate())
    client.force_login(am_alice)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("playbooks:runs")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("playbooks:detail", args=[playbook.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("playbooks:list")).status_code == 200
    run = PlaybookRun.objects.first()
    with django_assert_max_num_queries(14):
        assert client.get(reverse("playbooks:run", args=[run.pk])).status_code == 200


def test_api_defines_versions_and_runs(admin_ada, am_alice, alice_client, am_oscar):
    api = APIClient()
    api.force_authenticate(admin_ada)
    created = api.post(
        "/api/v1/playbooks/",
        {"name": "Save", "trigger": "manual", "steps": [{"kind": "call", "title": "Call"}]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["current_version"] == 1 and body["steps"][0]["title"] == "Call"
    bad = api.post("/api/v1/playbooks/", {"name": "X", "steps": []}, format="json")
    assert bad.status_code == 400
    updated = api.patch(
        f"/api/v1/playbooks/{body['id']}/",
        {"version": body["version"], "steps": [{"kind": "task", "title": "New"}]},
        format="json",
    )
    assert updated.status_code == 200 and updated.json()["current_version"] == 2

    api.force_authenticate(am_alice)
    started = api.post("/api/v1/playbook-runs/", {"playbook": body["id"], "client": alice_client.pk}, format="json")
    assert started.status_code == 201, started.content
    run = started.json()
    assert run["version_number"] == 2 and run["steps"][0]["status"] == "active"
    again = api.post("/api/v1/playbook-runs/", {"playbook": body["id"], "client": alice_client.pk}, format="json")
    assert again.status_code == 400
    step_id = run["steps"][0]["id"]
    skipped = api.post(f"/api/v1/playbook-runs/{run['id']}/steps/{step_id}/skip/", {"reason": "No need"}, format="json")
    assert skipped.json()["status"] == "completed"

    api.force_authenticate(am_oscar)
    assert api.get(f"/api/v1/playbook-runs/{run['id']}/").status_code == 404


def test_the_schema_lists_the_endpoints(client):
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/playbooks/", "/api/v1/playbook-runs/", "/api/v1/playbook-runs/{id}/steps/{step_id}/skip/"):
        assert path in schema


def test_demo_data_seeds_three_playbooks_with_runs(admin_ada, am_alice):
    from playbooks import demo

    today = timezone.localdate()
    ClientFactory(owner=am_alice, team=am_alice.team, status="onboarding")
    ClientFactory(owner=am_alice, team=am_alice.team, renewal_date=today + dt.timedelta(days=30))
    assert demo.seed(today=today) == 2
    assert sorted(Playbook.objects.values_list("name", flat=True)) == ["Onboarding", "Renewal", "Save plan"]
    assert PlaybookRun.objects.filter(status=RunStatus.ACTIVE).count() == 2
    assert demo.seed(today=today) == 0  # once


_ = STEPS


def test_the_client_panel_costs_the_same_with_many_runs(
    client, am_alice, alice_client, admin_ada, django_assert_num_queries
):
    from playbooks import panels

    today = timezone.localdate()
    for n in range(4):
        playbook = services.playbook_create(by=admin_ada, name=f"P{n}", steps=[{"kind": "task", "title": "x"}] * 3)
        services.playbook_run_start(playbook=playbook, client=alice_client, by=am_alice, today=today)
    with django_assert_num_queries(2):  # the runs, their steps (with follow-ups): whatever their number
        context = panels.CLIENT_PANEL.context(client=alice_client, user=am_alice, today=today)
    assert len(context["playbook_runs"]) == 4


def test_the_evaluation_history_shows_playbooks_started(client, lead_lena):
    from flags.models import EvaluationRun

    EvaluationRun.objects.create(
        date=timezone.localdate(), started_at=timezone.now(), status="done", playbooks_started=3
    )
    client.force_login(lead_lena)
    page = client.get(reverse("flags:evaluations")).content.decode()
    assert "Playbooks started" in page and '<td class="text-end" data-testid="playbooks-started">3</td>' in page
