"""The reviews and account-plans endpoints: same services, 409 on a stale version, 404 when invisible."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clients.models import Client
from core.dates import Quarter
from interactions.models import FollowUp
from kpis.models import MetricValue
from reviews.models import AccountPlan, AccountReview
from reviews.tests.builders import held_review, plan_review

pytestmark = pytest.mark.django_db


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def _current():
    return Quarter.containing(timezone.localdate())


def test_plan_prepare_hold_close_through_the_api(am_alice, am_bob, alice_client):
    api = api_for(am_alice)
    current, today = _current(), timezone.localdate()
    dora = alice_client.contacts.get()
    created = api.post(
        "/api/v1/reviews/",
        {
            "client": alice_client.pk,
            "year": current.year,
            "quarter": current.quarter,
            "planned_on": today.isoformat(),
            "contacts": [dora.pk],
            "colleagues": [am_bob.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["label"], body["contacts"], body["version"]) == (
        "planned",
        current.label,
        [dora.pk],
        1,
    )
    url = f"/api/v1/reviews/{body['id']}/"

    duplicate = api.post(
        "/api/v1/reviews/",
        {"client": alice_client.pk, "year": current.year, "quarter": current.quarter, "planned_on": today.isoformat()},
        format="json",
    )
    assert duplicate.status_code == 400 and "already has a" in duplicate.json()["error"]["fields"]["quarter"][0]

    assert api.patch(url, {"agenda": "Numbers", "version": 9}, format="json").status_code == 409
    patched = api.patch(url, {"agenda": "Numbers", "version": 1}, format="json")
    assert patched.status_code == 200 and patched.json()["agenda"] == "Numbers"
    moved = api.patch(url, {"quarter": 1 if current.quarter != 1 else 2, "version": 2}, format="json")
    assert moved.status_code == 400

    early = api.post(url + "hold/", {"held_on": today.isoformat()}, format="json")
    assert early.status_code == 400 and early.json()["detail"].startswith("Prepare the review first")
    assert api.post(url + "prepare/", {"version": 1}, format="json").status_code == 409
    prepared = api.post(url + "prepare/", {"version": 2}, format="json")
    assert prepared.status_code == 200 and prepared.json()["snapshot"]["period"]["quarter"] == current.key

    held = api.post(
        url + "hold/",
        {
            "version": 3,
            "held_on": today.isoformat(),
            "satisfaction": 9,
            "wins": "Live in two regions",
            "action_items": [
                {"title": "Usage report", "owner": am_bob.pk, "is_commitment": True},
                {"title": "Pick the trainer"},
            ],
        },
        format="json",
    )
    assert held.status_code == 200, held.content
    data = held.json()
    assert (data["status"], data["satisfaction"]) == ("held", 9)
    assert [(i["title"], i["is_assigned"]) for i in data["action_items"]] == [
        ("Usage report", True),
        ("Pick the trainer", False),
    ]
    assert FollowUp.objects.get(title="Usage report").is_commitment is True
    assert MetricValue.objects.get(metric__key="satisfaction", client=alice_client).value == 9
    assert Client.objects.get(pk=alice_client.pk).last_review_on == today

    refused = api.post(url + "close/", {}, format="json")
    assert refused.status_code == 400 and "still without an owner" in refused.json()["detail"]
    pending = data["action_items"][1]["id"]
    assigned = api.post(url + f"action-items/{pending}/assign/", {"owner": am_alice.pk}, format="json")
    assert assigned.status_code == 200 and all(i["is_assigned"] for i in assigned.json()["action_items"])
    added = api.post(url + "action-items/", {"title": "Send minutes", "owner": am_alice.pk}, format="json")
    assert added.status_code == 201 and len(added.json()["action_items"]) == 3
    corrected = api.post(url + "outcome/", {"satisfaction": 8}, format="json")
    assert corrected.status_code == 200 and corrected.json()["satisfaction"] == 8
    closed = api.post(url + "close/", {"version": corrected.json()["version"]}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_invisible_reviews_and_plans_answer_404(am_alice, am_oscar, alice_client):
    review = plan_review(alice_client, am_alice)
    plan = AccountPlan.objects.create(client=alice_client)
    api = api_for(am_oscar)
    assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    assert api.post(f"/api/v1/reviews/{review.pk}/prepare/", {}, format="json").status_code == 404
    assert api.get(f"/api/v1/account-plans/{plan.pk}/").status_code == 404
    assert api.get(f"/api/v1/account-plans/{plan.pk}/history/").status_code == 404
    assert api.get("/api/v1/reviews/").json()["count"] == 0
    created = api.post(
        "/api/v1/reviews/",
        {"client": alice_client.pk, "year": 2025, "quarter": 3, "planned_on": "2025-09-01"},
        format="json",
    )
    assert created.status_code == 400 and "client" in created.json()["error"]["fields"]  # an unknown client to Oscar


def test_readers_get_403_on_changes(am_bob, am_alice, alice_client):
    review = plan_review(alice_client, am_alice)
    api = api_for(am_bob)
    assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 200
    response = api.post(f"/api/v1/reviews/{review.pk}/prepare/", {}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_allowed"
    assert api.patch(f"/api/v1/reviews/{review.pk}/", {"agenda": "x", "version": 1}, format="json").status_code == 403


def test_list_filters_by_quarter_and_status(am_alice, alice_client, lead_lena):
    held_review(alice_client, am_alice)
    plan_review(alice_client, am_alice, quarter=Quarter(2025, 4), planned_on=dt.date(2025, 12, 1))
    api = api_for(lead_lena)
    assert api.get("/api/v1/reviews/").json()["count"] == 2
    held = api.get("/api/v1/reviews/", {"status": "held"}).json()["results"]
    assert [(r["year"], r["quarter"]) for r in held] == [(2025, 3)]
    assert "snapshot" not in held[0]  # lists stay light; one review carries its snapshot
    assert api.get(f"/api/v1/reviews/{held[0]['id']}/").json()["snapshot"]["period"]["label"] == "Q3 2025"
    assert api.get("/api/v1/reviews/", {"year": 2025, "quarter": 4}).json()["count"] == 1


def test_account_plan_endpoints(am_alice, alice_client):
    api = api_for(am_alice)
    dora = alice_client.contacts.get()
    created = api.post(
        "/api/v1/account-plans/",
        {
            "client": alice_client.pk,
            "hypothesis": "We believe faster deliveries grow their orders by 10%.",
            "revenue_target": "250000",
            "objectives": [{"objective": "Cut late deliveries", "target": "< 2%"}],
            "opportunities": [{"title": "Returns module", "kind": "cross_sell", "estimated_value": "24000"}],
            "stakeholders": [{"contact": dora.pk, "how": "Monthly usage call"}],
            "risks": [{"risk": "Budget freeze", "impact": "high"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["objectives"] == [{"objective": "Cut late deliveries", "target": "< 2%", "status": "on_track"}]
    assert body["stakeholders"][0]["who"] == "Dora Example"
    assert body["opportunities"][0]["estimated_value"] == "24000.00"
    url = f"/api/v1/account-plans/{body['id']}/"

    again = api.post("/api/v1/account-plans/", {"client": alice_client.pk}, format="json")
    assert again.status_code == 400 and "already has an account plan" in again.json()["detail"]
    bad = api.patch(url, {"version": 1, "stakeholders": [{"contact": 999999, "how": "x"}]}, format="json")
    assert bad.status_code == 400
    assert "does not belong to this client" in bad.json()["error"]["fields"]["stakeholders"][0]
    assert api.patch(url, {"version": 7, "revenue_target": "1"}, format="json").status_code == 409
    assert api.patch(url, {"revenue_target": "1"}, format="json").status_code == 400  # version required

    held_review(alice_client, am_alice)
    updated = api.patch(url, {"version": 1, "revenue_target": "300000"}, format="json")
    assert updated.status_code == 200 and updated.json()["version"] == 2
    changes = api.get(url + "changes-since-review/").json()
    assert changes["review_label"] == "Q3 2025"
    assert changes["changes"] == [{"section": "Revenue target", "kind": "changed", "text": "250,000 → 300,000"}]
    history = api.get(url + "history/").json()
    assert history["count"] == 2
    assert history["results"][1]["review"] == "Q3 2025"
    assert history["results"][0]["changes"][0]["section"] == "Revenue target"
    revisited = api.post(url + "revisit/", {"version": 2}, format="json")
    assert revisited.status_code == 200 and revisited.json()["last_revisited_on"] == timezone.localdate().isoformat()


def test_schema_documents_the_endpoints(admin_ada):
    api = api_for(admin_ada)
    schema = api.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/reviews/{id}/prepare/",
        "/api/v1/reviews/{id}/hold/",
        "/api/v1/reviews/{id}/close/",
        "/api/v1/reviews/{id}/action-items/{item_id}/assign/",
        "/api/v1/account-plans/{id}/history/",
    ):
        assert path in paths, path
    assert AccountReview.objects.count() == 0
