"""Search as people use it mid-call: accents, partial ids, phone numbers in any format, more than 8 results."""

import pytest

from clients import services as client_services
from core.search import fold, phone_digits, phone_e164, tel_href
from dashboards.selectors import global_search
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_fold_and_phone_digits():
    assert fold("Müller Straße") == "muller strasse"
    assert fold("Ærøskøbing ÉLAN") == "aeroskobing elan"
    assert phone_digits("+49 (30) 123-45 67") == "49301234567"
    assert tel_href("+49 (30) 123-45 67") == "tel:+49301234567"
    assert tel_href("call me maybe") == ""


def test_accent_and_case_insensitive_on_clients_and_contacts(am_alice, alice_client):
    mueller = ClientFactory(name="Müller Logistik", owner=am_alice, team=am_alice.team)
    client_services.contact_create(client=alice_client, by=am_alice, first_name="Jörg", last_name="Çelik")
    clients, _contacts = global_search(user=am_alice, query="muller")
    assert clients == [mueller]
    assert [c.pk for c in global_search(user=am_alice, query="MÜLLER log").clients] == [mueller.pk]
    assert [c.last_name for c in global_search(user=am_alice, query="jorg celik").contacts] == ["Çelik"]


def test_partial_external_id(am_alice):
    acme = ClientFactory(name="Acme", external_id="SF-0012345", owner=am_alice, team=am_alice.team)
    assert global_search(user=am_alice, query="0012345").clients == [acme]
    assert global_search(user=am_alice, query="sf-00123").clients == [acme]


@pytest.mark.parametrize("caller_id", ["+49 30 1234567", "0049301234567", "030/123 45 67", "(030) 1234567", "4567"])
def test_a_caller_id_in_any_format_finds_the_contact(am_alice, alice_client, caller_id):
    contact = client_services.contact_create(
        client=alice_client, by=am_alice, first_name="Ida", last_name="Phone", phone="+49 (0)30 123 45 67"
    )
    assert contact.phone_digits == "4903012345 67".replace(" ", "")
    assert [c.pk for c in global_search(user=am_alice, query=caller_id).contacts] == [contact.pk]


def test_phone_numbers_are_kept_in_e164(settings):
    settings.PHONE_DEFAULT_REGION = None
    assert phone_e164("+49 (0)30 123 45 67") == "+49301234567"
    assert phone_e164("0049 30 1234567") == "+49301234567"
    assert phone_e164("030 1234567") == ""  # no country code and no default region: not guessed
    settings.PHONE_DEFAULT_REGION = "DE"
    assert phone_e164("030 1234567") == "+49301234567"
    assert phone_e164("+1 415 555 0100") == "+14155550100"
    assert phone_e164("call me maybe") == ""


def test_a_caller_id_in_e164_finds_a_number_stored_in_national_form(am_alice, alice_client, settings):
    """The US caller id +1 415 555 0100 against a contact typed as (415) 555-0100 by a US team."""
    settings.PHONE_DEFAULT_REGION = "US"
    contact = client_services.contact_create(
        client=alice_client, by=am_alice, first_name="Uma", last_name="States", phone="(415) 555-0100"
    )
    assert contact.phone_e164 == "+14155550100"
    assert [c.pk for c in global_search(user=am_alice, query="+1 415-555-0100").contacts] == [contact.pk]


def test_an_impossible_international_number_is_refused_on_the_field(am_alice, alice_client):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        client_services.contact_create(client=alice_client, by=am_alice, first_name="Bad", phone="+49 1")
    assert "phone" in error.value.message_dict


def test_the_dropdown_says_there_is_more_and_the_page_shows_all(client, am_alice):
    for i in range(12):
        ClientFactory(name=f"Acme {i:02}", owner=am_alice, team=am_alice.team)
    client.force_login(am_alice)
    dropdown = client.get("/search/?q=acme", HTTP_HX_REQUEST="true")
    assert len(dropdown.context["clients"]) == 8
    assert "Show all results" in dropdown.content.decode()
    assert 'href="/search/?q=acme"' in dropdown.content.decode()
    page = client.get("/search/?q=acme")
    assert len(page.context["clients"]) == 12
    assert "Show all results" not in page.content.decode()
