"""Audience exports in the shapes Mailchimp and Intercom import: one row per reachable contact."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _download(client, **params) -> tuple[str, list[list[str]]]:
    response = client.get(reverse("dashboards:client_audience_export"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    return text, list(csv.reader(io.StringIO(text)))


@pytest.fixture
def audience(am_alice):
    acme = ClientFactory(
        name="Acme GmbH", owner=am_alice, team=am_alice.team, segment="enterprise", is_key_account=True
    )
    ContactFactory(client=acme, first_name="Jürgen", last_name="Müller", email="jm@acme.example", role="decision_maker")
    ContactFactory(client=acme, first_name="Ли", last_name="Вэй", email="li@acme.example")
    ContactFactory(client=acme, first_name="Gone", last_name="Away", email="gone@acme.example", is_active=False)
    ContactFactory(client=acme, first_name="No", last_name="Mail", email="")
    ContactFactory(client=acme, first_name="=HYPERLINK(1)", last_name="X", email="x@acme.example")
    return acme


def test_mailchimp_shape_one_row_per_contact_with_a_bom(client, am_alice, audience):
    client.force_login(am_alice)

    text, rows = _download(client, format="mailchimp", scope="mine")

    assert text.startswith("\ufeff")
    header = [rows[0][0].lstrip("\ufeff"), *rows[0][1:]]
    assert header[:3] == ["Email Address", "First Name", "Last Name"]
    body = {row[0]: row for row in rows[1:]}
    assert set(body) == {"jm@acme.example", "li@acme.example", "x@acme.example"}  # left and no-mail are out
    assert body["jm@acme.example"][1:4] == ["Jürgen", "Müller", "Acme GmbH"]
    assert body["li@acme.example"][1:3] == ["Ли", "Вэй"]
    assert "key account" in body["jm@acme.example"][-1]
    assert body["x@acme.example"][1] == "'=HYPERLINK(1)"  # spreadsheet-safe


def test_intercom_shape_has_a_user_and_company_per_row(client, am_alice, audience):
    client.force_login(am_alice)

    _, rows = _download(client, format="intercom", scope="mine")

    header = [rows[0][0].lstrip("\ufeff"), *rows[0][1:]]
    assert header[:5] == ["Email", "Name", "User ID", "Company Name", "Company ID"]
    row = next(r for r in rows[1:] if r[0] == "jm@acme.example")
    assert row[1] == "Jürgen Müller"
    assert row[2].startswith("crm-contact-")
    assert (row[3], row[4]) == ("Acme GmbH", audience.external_id or f"crm-client-{audience.pk}")


def test_the_page_counts_who_is_left_out_and_why(client, am_alice, audience):
    client.force_login(am_alice)

    counts = client.get(reverse("dashboards:client_audience"), {"scope": "mine"}).context["counts"]

    assert (counts.exported, counts.left_the_client, counts.without_email) == (3, 1, 1)


def test_an_unknown_format_is_refused_in_words(client, am_alice, audience):
    client.force_login(am_alice)
    response = client.get(reverse("dashboards:client_audience_export"), {"format": "xlsx"})
    assert response.status_code == 400
    assert "format=mailchimp" in response.content.decode()


def test_only_visible_clients_are_exported(client, am_oscar, audience):
    client.force_login(am_oscar)
    _, rows = _download(client, format="mailchimp")
    assert rows[1:] == []
