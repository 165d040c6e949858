"""Bad values are refused with a sentence on the field, in the form and in the API's 400 (field named)."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from clients.models import Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _client_form(client, **changes):
    data = {
        "name": client.name,
        "external_id": client.external_id or "",
        "status": client.status,
        "segment": client.segment,
        "arr": "1000",
        "currency": "EUR",
        "contact_cadence_days": "30",
        "preferred_channel": client.preferred_channel,
        "version": client.version,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"arr": "-5"}, "arr", "ARR cannot be negative."),
        ({"contact_cadence_days": "99999"}, "contact_cadence_days", "at most 365 days"),
        ({"contract_start": "2027-01-01", "renewal_date": "2026-06-01"}, "renewal_date", "before the contract start"),
    ],
)
def test_client_form_errors_are_sentences_on_the_field(client, am_alice, alice_client, changes, field, words):
    client.force_login(am_alice)
    response = client.post(reverse("clients:edit", args=[alice_client.pk]), _client_form(alice_client, **changes))
    assert response.status_code == 200
    form = response.context["form"]
    assert any(words in e for e in form.errors.get(field, [])), form.errors
    assert not form.non_field_errors()
    assert "Constraint" not in response.content.decode()


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"arr": "-5"}, "arr", "0"),
        ({"contact_cadence_days": 99999}, "contact_cadence_days", "365"),
        ({"contract_start": "2027-01-01", "renewal_date": "2026-06-01"}, "renewal_date", "before the contract start"),
    ],
)
def test_client_api_400_names_the_field(am_alice, alice_client, payload, field, words):
    api = APIClient()
    api.force_authenticate(am_alice)
    response = api.patch(
        f"/api/v1/clients/{alice_client.pk}/", {**payload, "version": alice_client.version}, format="json"
    )
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert words in " ".join(fields[field]), fields


def test_contact_form_refuses_a_phone_without_digits_and_left_but_still_there(client, am_alice, alice_client):
    client.force_login(am_alice)
    url = reverse("clients:contact_create", args=[alice_client.pk])
    base = {"first_name": "Ann", "role": "user", "influence": 2, "relationship_strength": 2}
    response = client.post(url, {**base, "phone": "call me maybe", "is_active": "on"})
    assert "phone" in response.context["form"].errors
    response = client.post(url, {**base, "is_active": "on", "left_on": "2026-01-05"})
    assert "left_on" in response.context["form"].errors
    assert not Contact.objects.filter(first_name="Ann").exists()


def test_contact_api_400_names_the_field(am_alice, alice_client):
    api = APIClient()
    api.force_authenticate(am_alice)
    contact = ContactFactory(client=alice_client, first_name="Ben")
    bad_phone = api.patch(
        f"/api/v1/contacts/{contact.pk}/", {"phone": "call me maybe", "version": contact.version}, format="json"
    )
    assert bad_phone.status_code == 400 and "phone" in bad_phone.json()["error"]["fields"], bad_phone.json()
    both = api.patch(
        f"/api/v1/contacts/{contact.pk}/",
        {"is_active": True, "left_on": dt.date(2026, 1, 5).isoformat(), "version": contact.version},
        format="json",
    )
    assert both.status_code == 400 and "left_on" in both.json()["error"]["fields"], both.json()
