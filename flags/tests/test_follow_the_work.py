"""Flags that follow the work: a logged contact settles the contact rules at once; a new owner takes the flags."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clients import services as client_services
from clients.models import Client
from core import events
from flags import evaluation
from flags.models import Flag, FlagStatus, Resolution, TriggerRule
from flags.services import FLAG_REASSIGNED, flag_handle_with_call
from health.models import HealthScore
from interactions import services as interaction_services
from interactions.models import FollowUp, FollowUpStatus, Interaction

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 10)


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def contact_rule(db):
    return TriggerRule.objects.create(
        name="Contact overdue", kind="no_contact", params={"mode": "cadence", "grace_days": 0}, severity=3
    )


@pytest.fixture
def overdue(alice_client, am_alice, contact_rule):
    """Alice's client last called 66 days ago against a 30-day cadence; the morning run flagged it."""
    with time_machine.travel(at(DAY - dt.timedelta(days=66), 10), tick=False):
        interaction_services.interaction_log(
            client=alice_client, by=am_alice, kind="call", occurred_at=timezone.now(), summary="Kick-off"
        )
    Client.objects.filter(pk=alice_client.pk).update(contact_cadence_days=30)
    with time_machine.travel(at(DAY, 6), tick=False):
        run = evaluation.evaluate_day_inline(on_date=DAY)
    assert run.status == "done", run.errors
    flag = Flag.objects.get(client=alice_client, rule=contact_rule)
    assert flag.status == FlagStatus.OPEN and "66 days" in flag.evidence
    return flag


def test_a_call_logged_on_the_client_page_closes_the_contact_flag_at_once(client, am_alice, alice_client, overdue):
    client.force_login(am_alice)
    with time_machine.travel(at(DAY, 11), tick=False):
        response = client.post(
            reverse("interactions:log", args=[alice_client.pk]),
            {
                "kind": "call",
                "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "summary": "Caught up",
                "sentiment": "neutral",
            },
        )
        assert response.status_code in (200, 302)
        call = Interaction.objects.get(summary="Caught up")
        overdue.refresh_from_db()
        assert overdue.status == FlagStatus.RESOLVED
        assert overdue.resolution == Resolution.HANDLED
        assert overdue.interaction == call and overdue.closed_on == DAY and overdue.resolved_by == am_alice
        assert overdue.history.first().history_user == am_alice  # the audit row
        # The client page no longer says "Last contact 66 days ago" (the flag, the health explanation) beside the
        # call just logged: today's score was recomputed with it.
        page = client.get(reverse("clients:detail", args=[alice_client.pk])).content.decode()
        assert "ast contact 66 days ago" not in page
        explained = " ".join(
            c.get("explanation", "") for c in HealthScore.objects.get(client=alice_client, date=DAY).components
        )
        assert "66 days" not in explained


def test_a_contact_from_the_api_or_captured_mail_closes_it_too_but_a_note_does_not(am_alice, alice_client, overdue):
    api = APIClient()
    api.force_authenticate(am_alice)
    with time_machine.travel(at(DAY, 11), tick=False):
        note = api.post(
            "/api/v1/interactions/",
            {"client": alice_client.pk, "kind": "note", "occurred_at": timezone.now().isoformat(), "summary": "Memo"},
            format="json",
        )
        assert note.status_code == 201, note.content
        overdue.refresh_from_db()
        assert overdue.status == FlagStatus.OPEN  # a note is not contact
        interaction_services.interaction_record_captured(
            client=alice_client, author=am_alice, by=None, kind="email", occurred_at=timezone.now(), summary="Re: plan"
        )
    overdue.refresh_from_db()
    assert overdue.status == FlagStatus.RESOLVED and overdue.interaction.kind == "email"


def test_an_old_call_that_leaves_the_client_overdue_keeps_the_flag(am_alice, alice_client, overdue):
    with time_machine.travel(at(DAY, 11), tick=False):
        interaction_services.interaction_log(
            client=alice_client,
            by=am_alice,
            kind="call",
            occurred_at=timezone.now() - dt.timedelta(days=40),
            summary="Logged late",
        )
    overdue.refresh_from_db()
    assert overdue.status == FlagStatus.OPEN  # 40 days ago is still beyond the 30-day cadence


def test_log_call_and_resolve_on_the_contact_flag_itself_resolves_it_once(am_alice, alice_client, overdue):
    with time_machine.travel(at(DAY, 11), tick=False):
        flag, call = flag_handle_with_call(
            flag=overdue, by=am_alice, kind="call", occurred_at=timezone.now(), summary="Called back"
        )
    assert flag.status == FlagStatus.RESOLVED and flag.interaction == call
    assert Interaction.objects.filter(summary="Called back").count() == 1


def test_a_private_note_text_is_not_copied_to_the_flag(am_alice, alice_client, overdue):
    with time_machine.travel(at(DAY, 11), tick=False):
        interaction_services.interaction_log(
            client=alice_client,
            by=am_alice,
            kind="call",
            occurred_at=timezone.now(),
            summary="Secret",
            is_private=True,
        )
    overdue.refresh_from_db()
    assert overdue.status == FlagStatus.RESOLVED and overdue.resolution_note == ""


# --- reassignment ------------------------------------------------------------------------------------------------


@pytest.fixture
def open_work(alice_client, am_alice, am_bob, overdue):
    followup = interaction_services.followup_create(
        client=alice_client, by=am_alice, title="Send the plan", due_date=DAY + dt.timedelta(days=3)
    )
    passed = Flag.objects.create(
        client=alice_client, title="Passed by hand", evidence="x", assigned_to=am_bob, opened_on=DAY, last_seen_on=DAY
    )
    return followup, passed


@pytest.fixture
def published():
    seen = []

    def handler(**payload):
        seen.append(payload)

    events.subscribe(FLAG_REASSIGNED, handler)
    yield seen
    events._subscribers[FLAG_REASSIGNED].remove(handler)


def test_reassigning_a_client_moves_its_open_flags_and_follow_ups(
    alice_client, am_alice, am_bob, lead_lena, overdue, open_work, published
):
    followup, passed = open_work
    client_services.client_update(client=alice_client, by=lead_lena, expected_version=None, owner=am_bob)
    overdue.refresh_from_db()
    followup.refresh_from_db()
    assert overdue.assigned_to == am_bob and followup.owner == am_bob
    assert overdue.history.first().history_user == lead_lena
    assert followup.history.first().history_user == lead_lena
    assert published == [
        {
            "flag_ids": [overdue.pk],
            "client_id": alice_client.pk,
            "from_user_id": am_alice.pk,
            "to_user_id": am_bob.pk,
            "by_id": lead_lena.pk,
            "reason": "client_owner",
        }
    ]
    passed.refresh_from_db()
    assert passed.assigned_to == am_bob  # was already Bob's


def test_the_lead_may_leave_flags_or_follow_ups_with_the_previous_owner(
    client, alice_client, am_alice, am_bob, lead_lena, overdue, open_work, published
):
    followup, _passed = open_work
    client.force_login(lead_lena)
    form = client.get(reverse("clients:edit", args=[alice_client.pk])).content.decode()
    assert 'name="move_flags"' in form and 'name="move_followups"' in form
    alice_client.refresh_from_db()
    data = {
        "name": alice_client.name,
        "status": alice_client.status,
        "segment": alice_client.segment,
        "owner": am_bob.pk,
        "team": alice_client.team_id,
        "arr": "1000",
        "currency": "EUR",
        "contact_cadence_days": 30,
        "preferred_channel": alice_client.preferred_channel,
        "version": alice_client.version,
        "move_followups": "on",
    }
    response = client.post(reverse("clients:edit", args=[alice_client.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    overdue.refresh_from_db()
    followup.refresh_from_db()
    assert overdue.assigned_to == am_alice  # "move flags" unticked
    assert followup.owner == am_bob
    assert published == []


def test_the_api_takes_the_same_choice(alice_client, am_alice, am_bob, lead_lena, overdue, open_work):
    followup, _passed = open_work
    api = APIClient()
    api.force_authenticate(lead_lena)
    alice_client.refresh_from_db()
    response = api.patch(
        f"/api/v1/clients/{alice_client.pk}/",
        {"owner": am_bob.pk, "move_followups": False, "version": alice_client.version},
        format="json",
    )
    assert response.status_code == 200, response.content
    overdue.refresh_from_db()
    followup.refresh_from_db()
    assert overdue.assigned_to == am_bob and followup.owner == am_alice
    assert FollowUp.objects.filter(owner=am_alice, status=FollowUpStatus.OPEN).count() == 1


def test_a_single_flag_reassigned_by_hand_publishes_the_event(am_alice, am_bob, lead_lena, overdue, published):
    from flags.services import flag_reassign

    flag_reassign(flag=overdue, by=lead_lena, to=am_bob)
    assert published and published[0]["flag_ids"] == [overdue.pk] and published[0]["reason"] == "flag"
