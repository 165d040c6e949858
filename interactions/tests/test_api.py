import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clients.models import Client
from interactions.models import FollowUp, Interaction
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def _payload(client, **extra):
    return {
        "client": client.pk,
        "kind": "call",
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "summary": "Discussed the renewal",
        **extra,
    }


def test_log_edit_delete_through_the_api_keeps_last_contact(am_alice, alice_client):
    api = api_for(am_alice)
    dora = alice_client.contacts.get()
    created = api.post("/api/v1/interactions/", _payload(alice_client, contacts=[dora.pk]), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert Client.objects.get(pk=alice_client.pk).last_contact_at is not None

    stale = api.patch(f"/api/v1/interactions/{body['id']}/", {"outcome": "x", "version": 99}, format="json")
    assert stale.status_code == 409
    ok = api.patch(f"/api/v1/interactions/{body['id']}/", {"outcome": "Renewal agreed", "version": 1}, format="json")
    assert ok.status_code == 200 and ok.json()["outcome"] == "Renewal agreed"

    assert api.delete(f"/api/v1/interactions/{body['id']}/").status_code == 204
    assert Interaction.objects.get(pk=body["id"]).deleted_at is not None
    assert Client.objects.get(pk=alice_client.pk).last_contact_at is None
    assert api.get(f"/api/v1/interactions/{body['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": "2999-01-01T10:00:00Z"}, "occurred_at"),
        ({"summary": "   "}, "summary"),
        ({"kind": "fax"}, "kind"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
    ],
)
def test_bad_interactions_are_clear_400s(am_alice, alice_client, change, field):
    response = api_for(am_alice).post("/api/v1/interactions/", _payload(alice_client, **change), format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Interaction.objects.exists()


def test_contact_of_another_client_is_refused(am_alice, alice_client):
    elsewhere = ContactFactory(client=ClientFactory(owner=am_alice, team=am_alice.team))
    response = api_for(am_alice).post(
        "/api/v1/interactions/", _payload(alice_client, contacts=[elsewhere.pk]), format="json"
    )
    assert response.status_code == 400 and "contacts" in response.json()["error"]["fields"]


def test_private_notes_and_filters(am_alice, am_bob, lead_lena, alice_client):
    api_for(am_alice).post("/api/v1/interactions/", _payload(alice_client, kind="note", is_private=True), format="json")
    api_for(am_alice).post("/api/v1/interactions/", _payload(alice_client), format="json")
    assert api_for(am_bob).get("/api/v1/interactions/").json()["count"] == 1
    assert api_for(lead_lena).get("/api/v1/interactions/").json()["count"] == 2
    calls = api_for(am_alice).get(f"/api/v1/interactions/?client={alice_client.pk}&kind=call").json()
    assert calls["count"] == 1
    since = (timezone.now() + dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert api_for(am_alice).get("/api/v1/interactions/", {"occurred_after": since}).json()["count"] == 0


def test_other_team_sees_nothing_and_cannot_log(am_oscar, alice_client):
    api = api_for(am_oscar)
    response = api.post("/api/v1/interactions/", _payload(alice_client), format="json")
    assert response.status_code == 400 and "client" in response.json()["error"]["fields"]
    assert api.get("/api/v1/interactions/").json()["count"] == 0


def test_followup_lifecycle_through_the_api(am_alice, am_bob, alice_client):
    api = api_for(am_alice)
    today = timezone.localdate()
    created = api.post(
        "/api/v1/follow-ups/",
        {
            "client": alice_client.pk,
            "title": "Send the SLA report",
            "due_date": (today + dt.timedelta(days=3)).isoformat(),
            "is_commitment": True,
            "promised_date": (today + dt.timedelta(days=5)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["owner"] == am_alice.pk

    moved = api.post(
        f"/api/v1/follow-ups/{pk}/reschedule/",
        {"due_date": (today + dt.timedelta(days=4)).isoformat()},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["due_date"] == (today + dt.timedelta(days=4)).isoformat()
    promise = api.post(
        f"/api/v1/follow-ups/{pk}/reschedule/",
        {
            "due_date": (today + dt.timedelta(days=4)).isoformat(),
            "promised_date": (today + dt.timedelta(days=9)).isoformat(),
        },
        format="json",
    )
    assert promise.status_code == 400 and "reason" in promise.json()["error"]["fields"]
    assert api_for(am_bob).post(f"/api/v1/follow-ups/{pk}/complete/").status_code == 403
    done = api.post(f"/api/v1/follow-ups/{pk}/complete/")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert api.post(f"/api/v1/follow-ups/{pk}/cancel/", {"reason": "late"}, format="json").status_code == 400
    assert FollowUp.objects.get(pk=pk).due_changes.count() == 1
    listed = api.get("/api/v1/follow-ups/", {"status": "done", "owner": am_alice.pk}).json()
    assert [row["id"] for row in listed["results"]] == [pk]


def test_followup_bad_dates_are_400(am_alice, alice_client):
    today = timezone.localdate()
    response = api_for(am_alice).post(
        "/api/v1/follow-ups/",
        {
            "client": alice_client.pk,
            "title": "x",
            "due_date": today.isoformat(),
            "is_commitment": True,
            "promised_date": (today - dt.timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400 and "promised_date" in response.json()["error"]["fields"]


@pytest.mark.parametrize(("persona", "links"), [
    ("am_alice", True),  # the note's author
    ("lead_lena", True),  # her team lead
    ("am_bob", False),  # a teammate sees the follow-up, not the private note it came from
    ("admin_ada", False),
])  # fmt: skip
def test_a_follow_up_does_not_link_a_private_note_for_those_who_may_not_read_it(
    personas, am_alice, alice_client, persona, links
):
    note = Interaction.objects.create(
        client=alice_client, author=am_alice, kind="note", occurred_at=timezone.now(), summary="Private",
        is_private=True,
    )  # fmt: skip
    followup = FollowUp.objects.create(
        client=alice_client, owner=am_alice, title="Call the sponsor", due_date=timezone.localdate(),
        origin="interaction", interaction=note, created_by=am_alice,
    )  # fmt: skip
    api = api_for(personas[persona])
    listed = api.get("/api/v1/follow-ups/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["interaction"] for row in rows if row["id"] == followup.pk] == [note.pk if links else None]
    assert api.get(f"/api/v1/follow-ups/{followup.pk}/").json()["interaction"] == (note.pk if links else None)
