"""Database constraints are said in words on their field (full_clean, forms, the API), never by their name."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.models import Client, Handoff
from core.constraints import integrity_error_field
from interactions.models import FollowUp
from tests.factories import ClientFactory, HandoffFactory

pytestmark = pytest.mark.django_db


def test_a_failed_check_lands_on_its_field(am_alice):
    handoff = HandoffFactory.build(deal_amount=Decimal("-5"))
    with pytest.raises(ValidationError) as error:
        handoff.validate_constraints()
    assert error.value.message_dict == {"deal_amount": ["The deal amount cannot be negative."]}

    client = ClientFactory(owner=am_alice, team=am_alice.team)
    followup = FollowUp(
        client=client, owner=am_alice, title="x", due_date=dt.date(2030, 1, 10), promised_date=dt.date(2030, 1, 1),
        is_commitment=True,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        followup.validate_constraints()
    assert list(error.value.message_dict) == ["promised_date"]
    assert "Constraint" not in str(error.value)


def test_an_integrity_error_names_the_field_and_says_why(am_alice):
    client = ClientFactory(owner=am_alice, team=am_alice.team)
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        Client.objects.filter(pk=client.pk).update(arr=Decimal("-1"))
    assert integrity_error_field(error.value, Client) == ("arr", "ARR cannot be negative.")
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        Handoff.objects.filter(pk=HandoffFactory().pk).update(deal_amount=Decimal("-1"))
    assert integrity_error_field(error.value, Handoff) == ("deal_amount", "The deal amount cannot be negative.")


def test_the_handoff_api_answers_400_with_the_field(am_alice, sales_sam, team_north):
    from rest_framework.test import APIClient

    prospect = ClientFactory(owner=None, team=None, sales_owner=sales_sam, status="prospect")
    api = APIClient()
    api.force_authenticate(sales_sam)
    response = api.post(
        "/api/v1/handoffs/",
        {"client": prospect.pk, "deal_name": "Big", "deal_amount": "-10", "to_team": team_north.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "deal_amount" in response.json()["error"]["fields"]
    assert "constraint" not in response.content.decode().lower()
