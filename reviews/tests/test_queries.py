"""Review pages and endpoints cost the same number of queries for 5 and for 300 clients (or items)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clients.models import Client, ClientStatus
from core.dates import Quarter
from reviews import selectors
from reviews.models import AccountReview, ReviewStatus
from reviews.tests.builders import held_review

pytestmark = pytest.mark.django_db

# Measured today; 5 and 300 share them, so any per-row query fails. Every page also counts the
# user's unread notifications (a context processor of the health app).
# Overview: session, user, notifications, status counts, page count, rows, the owner filter's choices.
OVERVIEW_PAGE_QUERIES = 7
# Detail: session, user, notifications, review (+ contacts, colleagues, action items), plan, previous held
# review, the team members who may own action items.
DETAIL_PAGE_QUERIES = 10
# Print: session, user, notifications, review (+ contacts, colleagues, action items), plan.
PRINT_PAGE_QUERIES = 8
PANEL_QUERIES = 2
# Endpoint (force_authenticate): count, rows, contacts, colleagues, action items.
REVIEW_LIST_API_QUERIES = 5


def _portfolio(size: int, *, owners, team) -> list[Client]:
    today = timezone.localdate()
    quarter = Quarter.containing(today)
    clients = Client.objects.bulk_create(
        Client(
            name=f"Bulk {i:04d}",
            external_id=f"RBULK{i:05d}",
            status=ClientStatus.ACTIVE,
            owner=owners[i % len(owners)],
            team=team,
            is_key_account=i % 7 == 0,
            arr=Decimal(1000 * i),
        )
        for i in range(size)
    )
    statuses = [ReviewStatus.PLANNED, ReviewStatus.PREPARED, ReviewStatus.HELD, ReviewStatus.CLOSED, None]
    reviews = []
    for i, client in enumerate(clients):
        status = statuses[i % len(statuses)]
        if status is None:
            continue
        held = status in {ReviewStatus.HELD, ReviewStatus.CLOSED}
        reviews.append(
            AccountReview(
                client=client,
                year=quarter.year,
                quarter=quarter.quarter,
                status=status,
                planned_on=today,
                held_on=today if held else None,
                satisfaction=8 if held else None,
            )
        )
    AccountReview.objects.bulk_create(reviews)
    return clients


@pytest.mark.parametrize("size", [5, 300])
def test_quarter_overview_page(client, django_assert_max_num_queries, lead_lena, am_alice, am_bob, size):
    _portfolio(size, owners=[am_alice, am_bob], team=lead_lena.team)
    client.force_login(lead_lena)
    with django_assert_max_num_queries(OVERVIEW_PAGE_QUERIES):
        response = client.get(reverse("reviews:overview"))
    assert response.status_code == 200
    counts = response.context["view"].counts
    assert counts["total"] == size
    assert counts["missing"] == size // 5
    assert len(response.context["rows"]) == min(size, 100)
    names = [c.name for c, _ in response.context["rows"]]
    assert names[0] == "Bulk 0000" and all(c.is_key_account for c, _ in response.context["rows"][: (size + 6) // 7])


@pytest.mark.parametrize("items", [1, 25])
def test_review_detail_and_print_pages(client, django_assert_max_num_queries, am_alice, alice_client, items):
    review = held_review(
        alice_client,
        am_alice,
        action_items=[{"title": f"Item {i}", "owner": am_alice if i % 2 else None} for i in range(items)],
    )
    client.force_login(am_alice)
    with django_assert_max_num_queries(DETAIL_PAGE_QUERIES):
        response = client.get(reverse("reviews:detail", args=[review.pk]))
    assert response.status_code == 200 and len(response.context["items"]) == items
    with django_assert_max_num_queries(PRINT_PAGE_QUERIES):
        response = client.get(reverse("reviews:print", args=[review.pk]))
    assert response.status_code == 200 and response.content.decode().count("<td>Item ") == items


@pytest.mark.parametrize("reviews", [1, 12])
def test_account_panel(django_assert_max_num_queries, am_alice, alice_client, reviews):
    quarter = Quarter.containing(dt.date(2020, 1, 1))
    AccountReview.objects.bulk_create(
        AccountReview(
            client=alice_client, year=quarter.year + i // 4, quarter=i % 4 + 1, planned_on=dt.date(2020, 1, 1)
        )
        for i in range(reviews)
    )
    with django_assert_max_num_queries(PANEL_QUERIES):
        panel = selectors.account_panel(client=alice_client, user=am_alice)
    assert len(panel["reviews"]) == min(reviews, 4)


@pytest.mark.parametrize("size", [5, 60])
def test_review_list_endpoint(django_assert_max_num_queries, lead_lena, am_alice, am_bob, size):
    _portfolio(size, owners=[am_alice, am_bob], team=lead_lena.team)
    api = APIClient()
    api.force_authenticate(lead_lena)
    with django_assert_max_num_queries(REVIEW_LIST_API_QUERIES):
        response = api.get("/api/v1/reviews/")
    assert response.status_code == 200 and response.json()["count"] == size - size // 5
