import datetime as dt

import pytest
from django.utils import timezone

from interactions import services
from interactions.models import FollowUp, FollowUpStatus

pytestmark = pytest.mark.django_db


def _followup(client, owner, days, **extra):
    return services.followup_create(
        client=client,
        by=owner,
        title=f"Due in {days}",
        due_date=timezone.localdate() + dt.timedelta(days=days),
        **extra,
    )


def test_my_followups_buckets_and_bulk_done(client, am_alice, alice_client):
    overdue = _followup(alice_client, am_alice, -2)
    today = _followup(alice_client, am_alice, 0)
    week = _followup(alice_client, am_alice, 3)
    client.force_login(am_alice)
    response = client.get("/follow-ups/")
    buckets = response.context["buckets"]
    assert (buckets.overdue, buckets.today, buckets.this_week) == ([overdue], [today], [week])

    done = client.post("/follow-ups/", {"followup": [overdue.pk, today.pk]})
    assert done.status_code == 302
    statuses = dict(FollowUp.objects.values_list("pk", "status"))
    assert statuses == {overdue.pk: FollowUpStatus.DONE, today.pk: FollowUpStatus.DONE, week.pk: FollowUpStatus.OPEN}


def test_bulk_done_ignores_follow_ups_of_others(client, am_alice, am_bob, alice_client):
    followup = _followup(alice_client, am_alice, 1)
    client.force_login(am_bob)
    client.post("/follow-ups/", {"followup": [followup.pk]})
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUpStatus.OPEN


def test_done_with_htmx_returns_the_row(client, am_alice, alice_client):
    followup = _followup(alice_client, am_alice, 1)
    client.force_login(am_alice)
    response = client.post(f"/follow-ups/{followup.pk}/done/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="followup-{followup.pk}"' in response.content.decode()
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUpStatus.DONE


def test_reschedule_and_cancel_pages(client, am_alice, alice_client):
    followup = _followup(
        alice_client, am_alice, 1, is_commitment=True, promised_date=timezone.localdate() + dt.timedelta(days=4)
    )
    client.force_login(am_alice)
    new_due = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    refused = client.post(
        f"/follow-ups/{followup.pk}/reschedule/",
        {
            "due_date": new_due,
            "promised_date": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "version": 1,
        },
    )
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    moved = client.post(
        f"/follow-ups/{followup.pk}/reschedule/",
        {
            "due_date": new_due,
            "promised_date": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "reason": "Client asked for more time",
            "version": 1,
        },
    )
    assert moved.status_code == 302
    detail = client.get(f"/follow-ups/{followup.pk}/")
    assert "Client asked for more time" in detail.content.decode()
    assert client.post(f"/follow-ups/{followup.pk}/cancel/", {"reason": ""}).status_code == 200
    assert client.post(f"/follow-ups/{followup.pk}/cancel/", {"reason": "Not needed"}).status_code == 302
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUpStatus.CANCELLED


def test_interaction_edit_and_delete_pages(client, am_alice, am_bob, alice_client):
    call = services.interaction_log(
        client=alice_client, by=am_alice, kind="call", occurred_at=timezone.now(), summary="First call"
    )
    client.force_login(am_bob)
    assert client.post(f"/interactions/{call.pk}/", {"summary": "hijack"}).status_code == 403
    assert client.get(f"/interactions/{call.pk}/delete/").status_code == 403
    client.force_login(am_alice)
    stale = client.post(
        f"/interactions/{call.pk}/",
        {
            "kind": "call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Edited",
            "sentiment": "neutral",
            "version": 7,
        },
    )
    assert "changed by someone else" in stale.content.decode()
    assert client.post(f"/interactions/{call.pk}/delete/").status_code == 302
    call.refresh_from_db()
    assert call.deleted_at is not None and call.summary == "First call"


@pytest.mark.parametrize(("next_url", "expected"), [
    ("https://evil.example", "/follow-ups/"),
    ("//evil.example", "/follow-ups/"),
    ("///evil.example", "/follow-ups/"),
    ("/\\evil.example", "/follow-ups/"),
    ("javascript:alert(1)", "/follow-ups/"),
    ("", "/follow-ups/"),
    ("/clients/?page=2", "/clients/?page=2"),
])  # fmt: skip
def test_done_follows_only_a_local_next(client, am_alice, alice_client, next_url, expected):
    followup = _followup(alice_client, am_alice, 1)
    client.force_login(am_alice)
    response = client.post(f"/follow-ups/{followup.pk}/done/", {"next": next_url})
    assert (response.status_code, response["Location"]) == (302, expected)
    assert FollowUp.objects.get(pk=followup.pk).status == FollowUpStatus.DONE


def test_interaction_edit_refuses_a_stale_or_versionless_save(client, am_alice, lead_lena, alice_client):
    call = services.interaction_log(
        client=alice_client, by=am_alice, kind="call", occurred_at=timezone.now(), summary="First call"
    )
    form = {
        "kind": "call",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "summary": "Alice's edit",
        "sentiment": "neutral",
    }
    client.force_login(am_alice)
    page = client.get(f"/interactions/{call.pk}/")
    assert page.context["form"]["version"].value() == 1
    # The lead saves first; Alice's page still carries version 1.
    services.interaction_update(interaction=call, by=lead_lena, expected_version=1, outcome="Lead's note")
    stale = client.post(f"/interactions/{call.pk}/", {**form, "version": 1})
    assert stale.status_code == 200 and "changed by someone else" in stale.content.decode()
    # A post without the version (an old page, a hand-made request) is refused too, not saved blindly.
    versionless = client.post(f"/interactions/{call.pk}/", form)
    assert versionless.status_code == 200 and "version" in versionless.context["form"].errors
    call.refresh_from_db()
    assert (call.summary, call.outcome, call.version) == ("First call", "Lead's note", 2)
    reloaded = {**form, "outcome": "Lead's note", "version": 2}  # after a reload her form shows the lead's note
    assert client.post(f"/interactions/{call.pk}/", reloaded).status_code == 302
    call.refresh_from_db()
    assert (call.summary, call.outcome, call.version) == ("Alice's edit", "Lead's note", 3)
