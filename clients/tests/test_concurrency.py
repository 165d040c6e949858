"""Optimistic locking (``version``) on pages and endpoints, and archiving instead of deleting."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from clients import services
from clients.models import Client, ClientStatus, Contact, Handoff
from tests.factories import ClientFactory, HandoffFactory

STALE_MESSAGE = "changed by someone else"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def dora(alice_client) -> Contact:
    return alice_client.contacts.get()


@pytest.fixture
def sam_handoff(sales_sam, team_north) -> Handoff:
    account = ClientFactory(name="Pending Pumps", status=ClientStatus.HANDOFF_PENDING, sales_owner=sales_sam)
    return HandoffFactory(client=account, created_by=sales_sam, to_team=team_north)


def _client_post(account: Client, version: int, **overrides) -> dict:
    data = {
        "name": account.name,
        "external_id": account.external_id or "",
        "status": account.status,
        "segment": account.segment,
        "arr": str(account.arr),
        "currency": account.currency,
        "renewal_date": account.renewal_date.isoformat() if account.renewal_date else "",
        "contact_cadence_days": account.contact_cadence_days,
        "preferred_channel": account.preferred_channel,
        "version": version,
    }
    data.update(overrides)
    return data


# --- HTML forms ----------------------------------------------------------------------------------


def test_stale_client_form_shows_a_clear_message_and_keeps_the_other_edit(client, alice_client, am_alice, lead_lena):
    client.force_login(am_alice)
    form_version = client.get(reverse("clients:edit", args=[alice_client.pk])).context["form"]["version"].value()
    assert form_version == 1
    # Lena saves first.
    services.client_update(client=alice_client, by=lead_lena, expected_version=1, industry="Shipping")

    response = client.post(
        reverse("clients:edit", args=[alice_client.pk]),
        _client_post(alice_client, form_version, industry="Trucking"),
    )

    assert response.status_code == 200  # the form again, not a redirect
    assert STALE_MESSAGE in response.content.decode()
    assert STALE_MESSAGE in " ".join(response.context["form"].non_field_errors())
    alice_client.refresh_from_db()
    assert (alice_client.industry, alice_client.version) == ("Shipping", 2)


def test_current_client_form_saves_and_bumps_the_version(client, alice_client, am_alice):
    client.force_login(am_alice)

    response = client.post(reverse("clients:edit", args=[alice_client.pk]), _client_post(alice_client, 1, city="Oslo"))

    assert response.status_code == 302
    alice_client.refresh_from_db()
    assert (alice_client.city, alice_client.version) == ("Oslo", 2)


def test_stale_contact_form_does_not_overwrite(client, alice_client, dora, am_alice, lead_lena):
    services.contact_update(contact=dora, by=lead_lena, expected_version=1, job_title="CEO")
    client.force_login(am_alice)

    response = client.post(
        reverse("clients:contact_edit", args=[dora.pk]),
        {
            "first_name": dora.first_name,
            "role": dora.role,
            "influence": 2,
            "relationship_strength": 2,
            "is_active": "on",
            "job_title": "Intern",
            "version": 1,
        },
    )

    assert response.status_code == 200
    assert STALE_MESSAGE in response.content.decode()
    dora.refresh_from_db()
    assert (dora.job_title, dora.version) == ("CEO", 2)


def test_stale_handoff_form_does_not_overwrite(client, sam_handoff, sales_sam, admin_ada):
    services.handoff_update(handoff=sam_handoff, by=admin_ada, expected_version=1, risks="Budget cut.")
    client.force_login(sales_sam)

    response = client.post(
        reverse("clients:handoff_edit", args=[sam_handoff.pk]),
        {
            "deal_name": sam_handoff.deal_name,
            "deal_amount": "120000",
            "currency": "EUR",
            "close_date": sam_handoff.close_date.isoformat(),
            "to_team": sam_handoff.to_team_id,
            "goals": sam_handoff.goals,
            "risks": "None known.",
            "version": 1,
        },
    )

    assert response.status_code == 200
    assert STALE_MESSAGE in response.content.decode()
    sam_handoff.refresh_from_db()
    assert (sam_handoff.risks, sam_handoff.version) == ("Budget cut.", 2)


# --- API -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_stale_client_write_is_a_409(api, alice_client, am_alice, lead_lena, method):
    services.client_update(client=alice_client, by=lead_lena, expected_version=1, industry="Shipping")
    api.force_authenticate(am_alice)
    payload = api.get(f"/api/v1/clients/{alice_client.pk}/").data if method == "put" else {}
    payload = {**payload, "industry": "Trucking", "version": 1}

    response = getattr(api, method)(f"/api/v1/clients/{alice_client.pk}/", payload, format="json")

    assert response.status_code == 409
    assert response.data["error"]["code"] == "stale_version"
    alice_client.refresh_from_db()
    assert (alice_client.industry, alice_client.version) == ("Shipping", 2)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_client_write_without_version_is_a_400(api, alice_client, am_alice, method):
    api.force_authenticate(am_alice)
    payload = dict(api.get(f"/api/v1/clients/{alice_client.pk}/").data) if method == "put" else {}
    payload.pop("version", None)
    payload["industry"] = "Trucking"

    response = getattr(api, method)(f"/api/v1/clients/{alice_client.pk}/", payload, format="json")

    assert response.status_code == 400
    assert "version" in response.data["error"]["fields"]
    alice_client.refresh_from_db()
    assert (alice_client.industry, alice_client.version) == ("", 1)


def test_current_version_round_trip(api, alice_client, am_alice):
    """Read, write with the version read, write again with the version returned."""
    api.force_authenticate(am_alice)
    url = f"/api/v1/clients/{alice_client.pk}/"
    version = api.get(url).data["version"]

    first = api.patch(url, {"city": "Oslo", "version": version}, format="json")
    second = api.patch(url, {"city": "Bergen", "version": first.data["version"]}, format="json")
    replay = api.patch(url, {"city": "Oslo", "version": first.data["version"]}, format="json")

    assert (first.status_code, second.status_code, replay.status_code) == (200, 200, 409)
    assert (first.data["version"], second.data["version"]) == (version + 1, version + 2)
    alice_client.refresh_from_db()
    assert alice_client.city == "Bergen"


def test_stale_contact_write_is_a_409_and_missing_version_a_400(api, dora, am_alice, lead_lena):
    services.contact_update(contact=dora, by=lead_lena, expected_version=1, job_title="CEO")
    api.force_authenticate(am_alice)
    url = f"/api/v1/contacts/{dora.pk}/"

    stale = api.patch(url, {"job_title": "Intern", "version": 1}, format="json")
    missing = api.patch(url, {"job_title": "Intern"}, format="json")

    assert stale.status_code == 409
    assert missing.status_code == 400
    assert "version" in missing.data["error"]["fields"]
    dora.refresh_from_db()
    assert (dora.job_title, dora.version) == ("CEO", 2)


def test_stale_handoff_write_is_a_409_and_missing_version_a_400(api, sam_handoff, sales_sam, admin_ada):
    services.handoff_update(handoff=sam_handoff, by=admin_ada, expected_version=1, risks="Budget cut.")
    api.force_authenticate(sales_sam)
    url = f"/api/v1/handoffs/{sam_handoff.pk}/"

    stale = api.patch(url, {"risks": "None known.", "version": 1}, format="json")
    missing = api.patch(url, {"risks": "None known."}, format="json")

    assert stale.status_code == 409
    assert stale.data["error"]["code"] == "stale_version"
    assert missing.status_code == 400
    assert "version" in missing.data["error"]["fields"]
    sam_handoff.refresh_from_db()
    assert (sam_handoff.risks, sam_handoff.version) == ("Budget cut.", 2)


# --- archive instead of delete -------------------------------------------------------------------


def test_delete_archives_the_client(api, alice_client, am_alice):
    api.force_authenticate(am_alice)
    contacts_before = alice_client.contacts.count()

    response = api.delete(f"/api/v1/clients/{alice_client.pk}/")

    assert response.status_code == 204
    alice_client.refresh_from_db()  # the row is still there
    assert alice_client.archived_at is not None
    assert alice_client.version == 2
    assert alice_client.contacts.count() == contacts_before
    assert alice_client.history.filter(archived_at__isnull=False).exists()  # audited
    # Still reachable directly (history, restore), flagged as archived.
    detail = api.get(f"/api/v1/clients/{alice_client.pk}/")
    assert detail.status_code == 200
    assert detail.data["archived_at"] is not None


def test_archived_clients_leave_every_list(client, api, alice_client, am_alice, lead_lena, team_north):
    kept = ClientFactory(name="Still Here Ltd", owner=am_alice, team=team_north)
    services.client_archive(client=alice_client, by=am_alice)

    for user, url_name in ((am_alice, "clients:mine"), (lead_lena, "clients:team")):
        client.force_login(user)
        response = client.get(reverse(url_name))
        assert [c.pk for c in response.context["page"].object_list] == [kept.pk]
        assert alice_client.name not in response.content.decode()

    api.force_authenticate(lead_lena)
    listed = api.get("/api/v1/clients/")
    assert [row["id"] for row in listed.data["results"]] == [kept.pk]
    # Asked for explicitly, they are there.
    archived = api.get("/api/v1/clients/", {"archived": "true"})
    assert [row["id"] for row in archived.data["results"]] == [alice_client.pk]
    client.force_login(lead_lena)
    page = client.get(reverse("clients:team"), {"archived": "true"})
    assert [c.pk for c in page.context["page"].object_list] == [alice_client.pk]


def test_archive_page_and_restore(client, alice_client, am_alice):
    client.force_login(am_alice)

    response = client.post(reverse("clients:archive", args=[alice_client.pk]))

    assert response.status_code == 302
    alice_client.refresh_from_db()
    assert alice_client.archived_at is not None
    assert Client.objects.filter(pk=alice_client.pk).exists()

    response = client.post(reverse("clients:restore", args=[alice_client.pk]))

    assert response.status_code == 302
    alice_client.refresh_from_db()
    assert alice_client.archived_at is None
    assert alice_client.pk in [c.pk for c in client.get(reverse("clients:mine")).context["page"].object_list]


def test_read_only_user_cannot_restore(client, alice_client, am_alice, am_bob):
    services.client_archive(client=alice_client, by=am_alice)
    client.force_login(am_bob)

    response = client.post(reverse("clients:restore", args=[alice_client.pk]))

    assert response.status_code == 403
    alice_client.refresh_from_db()
    assert alice_client.archived_at is not None
