"""Handoff pages: accepting asks first and lets a lead choose the owner; returned handoffs on top for sales;
people grouped by team with their role."""

import pytest
from django.urls import reverse

from clients import services
from clients.models import HandoffStatus
from tests.factories import ClientFactory, HandoffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(sales_sam, team_north):
    prospect = ClientFactory(name="Brightside", owner=None, team=None, sales_owner=sales_sam, status="handoff_pending")
    return HandoffFactory(client=prospect, created_by=sales_sam, status=HandoffStatus.PENDING, to_team=team_north)


def test_accept_asks_first_and_the_lead_chooses_the_owner(client, lead_lena, am_bob, am_oscar, pending):
    client.force_login(lead_lena)
    url = reverse("clients:handoff_accept", args=[pending.pk])
    detail = client.get(reverse("clients:handoff_detail", args=[pending.pk])).content.decode()
    assert f'href="{url}"' in detail  # the detail page links to the confirmation, it does not accept in one click

    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Take Brightside as a client?" in body
    assert '<optgroup label="North">' in body and "Bob" in body and "· Account manager" in body
    pending.refresh_from_db()
    assert pending.status == HandoffStatus.PENDING  # nothing happened yet

    # An owner of another team is refused on the field, in words.
    refused = client.post(url, {"owner": am_oscar.pk})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()

    response = client.post(url, {"owner": am_bob.pk})
    assert response.status_code == 302
    pending.refresh_from_db()
    pending.client.refresh_from_db()
    assert pending.status == HandoffStatus.ACCEPTED and pending.client.owner == am_bob


def test_an_am_takes_the_client_themselves(client, am_alice, am_bob, pending):
    client.force_login(am_alice)
    url = reverse("clients:handoff_accept", args=[pending.pk])
    assert 'name="owner"' not in client.get(url).content.decode()
    client.post(url, {"owner": am_bob.pk})  # an AM cannot give it to someone else: the choice is ignored
    pending.client.refresh_from_db()
    assert pending.client.owner == am_alice


def test_returned_handoffs_are_on_top_for_sales(client, sales_sam, am_alice, pending):
    services.handoff_return(handoff=pending, by=am_alice, reason="The success criteria are missing.")
    client.force_login(sales_sam)
    body = client.get(reverse("clients:handoffs")).content.decode()
    assert 'id="returned-handoffs"' in body
    assert body.index("Returned to you") < body.index("Waiting for an account manager")
    assert "The success criteria are missing." in body

    client.force_login(am_alice)
    assert 'id="returned-handoffs"' not in client.get(reverse("clients:handoffs")).content.decode()


def test_handoff_form_groups_people_by_team_with_their_role(client, sales_sam, lead_lena, am_alice, am_oscar):
    prospect = ClientFactory(name="Prospect", owner=None, team=None, sales_owner=sales_sam, status="prospect")
    client.force_login(sales_sam)
    body = client.get(reverse("clients:handoff_create", args=[prospect.pk])).content.decode()
    assert '<optgroup label="North">' in body and '<optgroup label="South">' in body
    assert "· Team lead" in body and "· Account manager" in body
