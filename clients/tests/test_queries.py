"""A page or endpoint costs the same number of queries for a small and a large portfolio."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from clients.models import Client, ClientStatus, Contact, ContactRole, Handoff, HandoffStatus

# The bounds are the counts measured today; 5 and 200 rows share them, so any per-row query fails.
# Every page also counts the user's unread notifications (the bell in the top bar).
# Page: session, user, count, rows, the owner filter's choices, the user's saved views, the bulk bar's owners
# (leads), unread.  Endpoint (force_authenticate): count, rows.
CLIENT_LIST_PAGE_QUERIES = 8
CLIENT_LIST_API_QUERIES = 2
# Page: session, user, inbox (+ stakeholders), count, rows (+ stakeholders), unread.
# Endpoint: count, rows, stakeholders.
HANDOFF_LIST_PAGE_QUERIES = 8
HANDOFF_LIST_API_QUERIES = 3


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _portfolio(size: int, *, owners, team, sales_owner) -> list[Client]:
    """``size`` clients spread over ``owners``, each with a decision maker, a user and a contact who left."""
    today = dt.date.today()
    clients = Client.objects.bulk_create(
        Client(
            name=f"Bulk {i:04d}",
            external_id=f"BULK{i:05d}",
            status=ClientStatus.ACTIVE,
            owner=owners[i % len(owners)],
            team=team,
            sales_owner=sales_owner,
            arr=Decimal(1000 * i),
            renewal_date=today + dt.timedelta(days=i),
            is_key_account=i % 7 == 0,
        )
        for i in range(size)
    )
    Contact.objects.bulk_create(
        Contact(client=client, first_name=f"{role}-{client.pk}", role=role, is_active=role != ContactRole.USER)
        for client in clients
        for role in (ContactRole.DECISION_MAKER, ContactRole.CHAMPION, ContactRole.USER)
    )
    return clients


def _handoffs(size: int, *, sales_sam, to_am, to_team) -> list[Handoff]:
    """``size`` pending handoffs from Sam, half to an AM and half to the team, each with two stakeholders."""
    prospects = Client.objects.bulk_create(
        Client(name=f"Prospect {i:04d}", status=ClientStatus.HANDOFF_PENDING, sales_owner=sales_sam)
        for i in range(size)
    )
    contacts = Contact.objects.bulk_create(
        Contact(client=client, first_name=f"{role}-{client.pk}", role=role)
        for client in prospects
        for role in (ContactRole.DECISION_MAKER, ContactRole.SPONSOR)
    )
    handoffs = Handoff.objects.bulk_create(
        Handoff(
            client=client,
            deal_external_id=f"OPP{i:05d}",
            deal_name=f"Deal {i:04d}",
            deal_amount=Decimal("10000"),
            close_date=dt.date.today() - dt.timedelta(days=1),
            goals="Grow.",
            commitments=[{"text": "Kick-off", "due_date": None}],
            to_am=to_am if i % 2 else None,
            to_team=to_team,
            status=HandoffStatus.PENDING,
            created_by=sales_sam,
        )
        for i, client in enumerate(prospects)
    )
    Through = Handoff.stakeholders.through
    by_client: dict[int, list[Contact]] = {}
    for contact in contacts:
        by_client.setdefault(contact.client_id, []).append(contact)
    Through.objects.bulk_create(
        Through(handoff_id=handoff.pk, contact_id=contact.pk)
        for handoff in handoffs
        for contact in by_client[handoff.client_id]
    )
    return handoffs


sizes = pytest.mark.parametrize("size", [5, 200])


@sizes
def test_team_client_list_page(client, django_assert_max_num_queries, lead_lena, am_alice, am_bob, sales_sam, size):
    _portfolio(size, owners=[am_alice, am_bob, lead_lena], team=lead_lena.team, sales_owner=sales_sam)
    client.force_login(lead_lena)
    url = reverse("clients:team")
    client.get(url)  # warm per-process caches (content types, templates)

    with django_assert_max_num_queries(CLIENT_LIST_PAGE_QUERIES):
        response = client.get(url, {"ordering": "-arr"})

    assert response.status_code == 200
    assert response.context["page"].paginator.count == size
    rows = list(response.context["page"].object_list)
    assert len(rows) == min(size, 25)
    assert all(row.active_contacts == 2 for row in rows)  # the contact who left is not counted


@sizes
def test_client_list_with_every_column_and_saved_views_costs_the_same(
    client, django_assert_max_num_queries, lead_lena, am_alice, am_bob, sales_sam, size
):
    from clients import panels, services

    _portfolio(size, owners=[am_alice, am_bob, lead_lena], team=lead_lena.team, sales_owner=sales_sam)
    for n in range(3):
        services.saved_view_save(by=lead_lena, name=f"View {n}", scope="team", query="status=active", pinned=n == 0)
    client.force_login(lead_lena)
    url = reverse("clients:team")
    every = [c.key for c in panels.list_columns()]
    client.get(url, {"cols": every})

    with django_assert_max_num_queries(CLIENT_LIST_PAGE_QUERIES):
        response = client.get(url, {"cols": every, "ordering": "-arr"})

    assert response.status_code == 200
    assert [c.key for c in response.context["columns"].shown] == every
    assert {"trend", "next_follow_up", "arr_base", "health"} <= set(every)


@sizes
def test_client_list_endpoint(django_assert_max_num_queries, lead_lena, am_alice, am_bob, sales_sam, size):
    _portfolio(size, owners=[am_alice, am_bob], team=lead_lena.team, sales_owner=sales_sam)
    api = APIClient()
    api.force_authenticate(lead_lena)
    api.get("/api/v1/clients/")

    with django_assert_max_num_queries(CLIENT_LIST_API_QUERIES):
        response = api.get("/api/v1/clients/")

    assert response.status_code == 200
    assert response.data["count"] == size
    assert len(response.data["results"]) == min(size, 50)
    assert {row["owner_name"] for row in response.data["results"]} == {"Alice", "Bob"}


@sizes
def test_handoff_list_page(client, django_assert_max_num_queries, lead_lena, am_alice, sales_sam, size):
    _handoffs(size, sales_sam=sales_sam, to_am=am_alice, to_team=lead_lena.team)
    client.force_login(lead_lena)
    url = reverse("clients:handoffs")
    client.get(url)

    with django_assert_max_num_queries(HANDOFF_LIST_PAGE_QUERIES):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["inbox"]) == min(size, 50)
    assert len(response.context["rows"]) == min(size, 25)
    # Readiness is computed from the prefetched stakeholders: two, one of them the decision maker.
    assert all("stakeholders" not in " ".join(r.reasons) for _, r in response.context["rows"])


@sizes
def test_handoff_list_endpoint(django_assert_max_num_queries, lead_lena, am_alice, sales_sam, size):
    _handoffs(size, sales_sam=sales_sam, to_am=am_alice, to_team=lead_lena.team)
    api = APIClient()
    api.force_authenticate(sales_sam)
    api.get("/api/v1/handoffs/")

    with django_assert_max_num_queries(HANDOFF_LIST_API_QUERIES):
        response = api.get("/api/v1/handoffs/")

    assert response.status_code == 200
    assert response.data["count"] == size
    rows = response.data["results"]
    assert len(rows) == min(size, 50)
    assert all(len(row["stakeholders"]) == 2 and row["readiness"]["level"] != "blocked" for row in rows)


# Page: session, user, the client, count, the page of records, the record before it, unread.
CLIENT_HISTORY_PAGE_QUERIES = 7


@pytest.mark.parametrize("edits", [5, 50])
def test_client_history_page_costs_the_same_for_5_and_50_records(
    client, am_alice, edits, django_assert_max_num_queries
):
    from clients import services

    acme = Client.objects.create(name="Acme", external_id="ACME-H", owner=am_alice, team=am_alice.team)
    for i in range(edits - 1):  # the creation is the first record
        acme = services.client_update(client=acme, by=am_alice, expected_version=acme.version, city=f"City {i}")
    assert acme.history.count() == edits
    client.force_login(am_alice)
    with django_assert_max_num_queries(CLIENT_HISTORY_PAGE_QUERIES):
        response = client.get(reverse("clients:history", args=[acme.pk]))
    rows = response.context["rows"]
    assert len(rows) == min(edits, 25)
    _newest, newest_changes = rows[0]
    assert [(c.field, c.old, c.new) for c in newest_changes if c.field == "city"] == [
        ("city", f"City {edits - 3}" if edits > 2 else "", f"City {edits - 2}")
    ]
    if edits > 25:  # the last row of the page is diffed against the first record of the next page
        _last, last_changes = rows[-1]
        assert [c.new for c in last_changes if c.field == "city"] == [f"City {edits - 26}"]
