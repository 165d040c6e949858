"""Reviews and plans follow their client: who sees it reads them, who edits it changes them; others get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reviews import services
from reviews.permissions import review_can_edit, review_get_for_user
from reviews.tests.builders import QUARTER, held_review

pytestmark = pytest.mark.django_db

# persona -> (sees the review, may change it)
MATRIX = {
    "am_alice": (True, True),  # owner
    "am_bob": (True, False),  # teammate: read-only
    "lead_lena": (True, True),  # team lead
    "am_oscar": (False, False),  # other team
    "sales_sam": (True, False),  # sold the client: read-only once it is managed
    "admin_ada": (True, True),
}


@pytest.fixture
def review(alice_client, am_alice):
    review = held_review(alice_client, am_alice, action_items=[{"title": "Pick the trainer"}])
    services.account_plan_save(client=alice_client, by=am_alice, expected_version=None, hypothesis="We believe")
    return review


@pytest.mark.parametrize("persona", MATRIX)
def test_pages_follow_the_client_rules(client, request, review, persona):
    user = request.getfixturevalue(persona)
    sees, edits = MATRIX[persona]
    client.force_login(user)
    read_only = [
        reverse("reviews:detail", args=[review.pk]),
        reverse("reviews:print", args=[review.pk]),
        reverse("reviews:export_csv", args=[review.pk]),
        reverse("reviews:export_json", args=[review.pk]),
        reverse("reviews:account_plan", args=[review.client_id]),
        reverse("reviews:account_plan_history", args=[review.client_id]),
    ]
    for url in read_only:
        assert client.get(url).status_code == (200 if sees else 404), url
    writing = [
        reverse("reviews:hold", args=[review.pk]),
        reverse("reviews:close", args=[review.pk]),
        reverse("reviews:account_plan_edit", args=[review.client_id]),
    ]
    for url in writing:
        assert client.get(url).status_code == (200 if edits else 403 if sees else 404), url
    item = review.action_items.get()
    response = client.post(reverse("reviews:action_item_assign", args=[review.pk, item.pk]), {})
    assert response.status_code == (302 if edits else 403 if sees else 404)


@pytest.mark.parametrize("persona", MATRIX)
def test_access_helpers_and_api_agree(request, review, persona):
    user = request.getfixturevalue(persona)
    sees, edits = MATRIX[persona]
    if sees:
        assert review_can_edit(user=user, review=review_get_for_user(user=user, pk=review.pk)) is edits
    else:
        with pytest.raises(Exception, match="No such review"):
            review_get_for_user(user=user, pk=review.pk)
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/v1/reviews/").json()["count"] == (1 if sees else 0)
    assert api.get("/api/v1/account-plans/").json()["count"] == (1 if sees else 0)
    response = api.post(f"/api/v1/reviews/{review.pk}/outcome/", {"wins": "More"}, format="json")
    assert response.status_code == (200 if edits else 403 if sees else 404)


def test_overview_lists_own_clients_for_an_am_and_the_team_for_a_lead(client, review, am_bob, lead_lena, am_oscar):
    quarter = QUARTER.key
    for user, names in ((am_bob, []), (lead_lena, ["Nordwind Logistics"]), (am_oscar, [])):
        client.force_login(user)
        response = client.get(reverse("reviews:overview"), {"quarter": quarter})
        assert [c.name for c in response.context["view"].clients] == names, user
        assert [c.review_status for c in response.context["view"].clients] == ["held"] * len(names)
