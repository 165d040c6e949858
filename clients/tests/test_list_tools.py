"""The client list's tools: columns chosen, saved views (pages and API), bulk actions on a selection."""

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from clients import services
from clients.models import Client, SavedClientView
from contracts.models import ExchangeRate
from interactions.models import FollowUp
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_columns_are_chosen_and_remembered(client, am_alice, settings):
    settings.BASE_CURRENCY = "EUR"
    ClientFactory(name="Dollar Co", owner=am_alice, team=am_alice.team, arr=1000, currency="USD")
    ExchangeRate.objects.create(currency="USD", date="2020-01-01", rate="0.5")
    client.force_login(am_alice)

    page = client.get("/clients/", {"cols": ["arr_base", "next_follow_up"]})
    assert [c.key for c in page.context["columns"].shown] == ["arr_base", "next_follow_up"]
    body = page.content.decode()
    assert "500 EUR" in body  # 1,000 USD at 0.5
    assert 'data-col="status"' not in body and 'data-col="arr_base"' in body

    # The next visit without ?cols= shows the same columns.
    again = client.get("/clients/")
    assert [c.key for c in again.context["columns"].shown] == ["arr_base", "next_follow_up"]
    # Unknown column names fall back to the defaults rather than an empty table.
    assert "status" in [c.key for c in client.get("/clients/", {"cols": "bogus"}).context["columns"].shown]


def test_arr_base_without_a_rate_says_so(client, am_alice):
    ClientFactory(name="Yen Co", owner=am_alice, team=am_alice.team, arr=1000, currency="JPY")
    client.force_login(am_alice)
    assert "no rate" in client.get("/clients/", {"cols": "arr_base"}).content.decode()


def test_save_a_view_pin_it_and_find_it_beside_the_list(client, am_alice, am_bob):
    client.force_login(am_alice)
    response = client.post(
        reverse("clients:saved_view_save"),
        {"name": "Red keys", "scope": "mine", "query": "health=red&is_key_account=true&page=3", "pinned": "on"},
    )
    view = SavedClientView.objects.get(user=am_alice)
    assert view.query == "health=red&is_key_account=true"  # the page is not part of a view
    assert response.url == "/clients/?health=red&is_key_account=true"
    page = client.get(response.url).content.decode()
    assert "Red keys" in page and 'aria-current="page"' in page

    # Same name again: the view is replaced, not duplicated.
    client.post(reverse("clients:saved_view_save"), {"name": "red keys", "scope": "mine", "query": "status=active"})
    assert SavedClientView.objects.filter(user=am_alice).count() == 1
    assert not SavedClientView.objects.get(pk=view.pk).pinned  # saved this time without "Pin"

    client.post(reverse("clients:saved_view_pin", args=[view.pk]))
    assert SavedClientView.objects.get(pk=view.pk).pinned

    # Another user neither sees nor touches it.
    client.force_login(am_bob)
    assert "Red keys" not in client.get("/clients/").content.decode()
    assert client.post(reverse("clients:saved_view_delete", args=[view.pk])).status_code == 404
    client.force_login(am_alice)
    client.post(reverse("clients:saved_view_delete", args=[view.pk]))
    assert not SavedClientView.objects.exists()


def test_a_view_without_a_name_is_refused_in_words(am_alice):
    with pytest.raises(services.ApplicationError) as error:
        services.saved_view_save(by=am_alice, name="  ", scope="mine", query="")
    assert error.value.field == "name"


def test_saved_views_api(am_alice, am_bob):
    api = APIClient()
    api.force_authenticate(am_alice)
    created = api.post("/api/v1/saved-views/", {"name": "Renewing", "query": "renewal_within=90"}, format="json")
    assert created.status_code == 201
    assert created.json()["url"] == "/clients/?renewal_within=90"
    again = api.post("/api/v1/saved-views/", {"name": "Renewing", "query": "renewal_within=30"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    bad = api.post("/api/v1/saved-views/", {"name": "", "query": ""}, format="json")
    assert bad.status_code == 400 and "name" in bad.json()["error"]["fields"]
    bad_scope = api.post("/api/v1/saved-views/", {"name": "x", "scope": "everyone"}, format="json")
    assert bad_scope.status_code == 400 and "scope" in bad_scope.json()["error"]["fields"]
    pk = created.json()["id"]
    assert api.patch(f"/api/v1/saved-views/{pk}/", {"pinned": True}, format="json").json()["pinned"] is True

    api.force_authenticate(am_bob)
    assert api.get("/api/v1/saved-views/").json()["results"] == []
    assert api.get(f"/api/v1/saved-views/{pk}/").status_code == 404
    api.force_authenticate(am_alice)
    assert api.delete(f"/api/v1/saved-views/{pk}/").status_code == 204


def test_bulk_reassign_by_the_lead(client, lead_lena, am_alice, am_bob, am_oscar):
    mine = [ClientFactory(owner=am_alice, team=am_alice.team) for _ in range(3)]
    foreign = ClientFactory(owner=am_oscar, team=am_oscar.team)
    client.force_login(lead_lena)
    response = client.post(
        reverse("clients:bulk_reassign"),
        {"ids": [c.pk for c in mine] + [foreign.pk], "owner": am_bob.pk, "next": "/clients/team/"},
    )
    assert response.status_code == 302 and response.url == "/clients/team/"
    assert set(Client.objects.filter(pk__in=[c.pk for c in mine]).values_list("owner", flat=True)) == {am_bob.pk}
    foreign.refresh_from_db()
    assert foreign.owner == am_oscar  # not visible to the lead: left out of the selection


def test_bulk_reassign_is_all_or_nothing(lead_lena, am_alice, am_bob, am_oscar):
    ours = ClientFactory(owner=am_alice, team=am_alice.team)
    theirs = ClientFactory(owner=am_oscar, team=am_oscar.team)
    with pytest.raises(services.NotAllowedError):
        services.clients_reassign(clients=[ours, theirs], by=lead_lena, owner=am_bob)
    ours.refresh_from_db()
    assert ours.owner == am_alice


def test_an_am_cannot_bulk_reassign(client, am_alice, am_bob):
    c = ClientFactory(owner=am_alice, team=am_alice.team)
    client.force_login(am_alice)
    assert client.post(reverse("clients:bulk_reassign"), {"ids": [c.pk], "owner": am_bob.pk}).status_code == 403


def test_bulk_follow_up_on_the_selection(client, am_alice):
    chosen = [ClientFactory(owner=am_alice, team=am_alice.team) for _ in range(2)]
    client.force_login(am_alice)
    url = reverse("interactions:followups_bulk_create")
    data = {"ids": [c.pk for c in chosen], "followup_title": "Send the 2027 prices", "followup_due": "2030-01-10"}
    client.post(url, data)
    assert FollowUp.objects.filter(title="Send the 2027 prices", owner=am_alice).count() == 2
    # A missing due date is said in words, nothing is written.
    response = client.post(url, {**data, "followup_due": ""}, follow=True)
    assert "Due: This field is required." in response.content.decode()
    assert FollowUp.objects.filter(title="Send the 2027 prices").count() == 2


def test_export_the_selection(client, am_alice):
    a = ClientFactory(name="Alpha", owner=am_alice, team=am_alice.team)
    ClientFactory(name="Beta", owner=am_alice, team=am_alice.team)
    client.force_login(am_alice)
    response = client.post(reverse("dashboards:client_export_selected"), {"ids": [a.pk]})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[0] for row in rows[1:]] == ["Alpha"]
