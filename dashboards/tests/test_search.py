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


def test_two_letters_match_the_start_of_a_word_without_accents(am_alice, alice_client):
    """Trigrams need three letters; a shorter term is the start of a word (crm_word_heads on PostgreSQL)."""
    cafe = ClientFactory(name="Café Müller", owner=am_alice, team=am_alice.team)
    ClientFactory(name="Samuel Partners", owner=am_alice, team=am_alice.team)
    mueller = client_services.contact_create(client=alice_client, by=am_alice, first_name="Anna", last_name="Müller")
    van = client_services.contact_create(client=alice_client, by=am_alice, first_name="Piet", last_name="van Mulder")
    client_services.contact_create(client=alice_client, by=am_alice, first_name="Samuel", last_name="Okafor")
    celik = client_services.contact_create(
        client=alice_client, by=am_alice, first_name="Jörg", last_name="Çelik", email="jc@example.com"
    )
    results = global_search(user=am_alice, query="mu")
    assert results.clients == [cafe]  # "Samuel" holds "mu" but not at the start of a word
    assert [c.pk for c in results.contacts] == [mueller.pk, van.pk]  # a word inside "van Mulder" too, by last name
    assert [c.pk for c in global_search(user=am_alice, query="CE").contacts] == [celik.pk]
    assert [c.pk for c in global_search(user=am_alice, query="jc").contacts] == [celik.pk]  # the e-mail's start
    assert [c.name for c in global_search(user=am_alice, query="ca mu").clients] == ["Café Müller"]
    assert global_search(user=am_alice, query="ul").contacts == []


def test_two_letters_do_not_match_every_external_id_with_that_prefix(am_alice):
    acme = ClientFactory(name="Acme", external_id="SF-0012345", owner=am_alice, team=am_alice.team)
    sfera = ClientFactory(name="Sfera Foods", external_id="SF-0099999", owner=am_alice, team=am_alice.team)
    assert global_search(user=am_alice, query="sf").clients == [sfera]  # the name's start, not every SF- id
    assert global_search(user=am_alice, query="sf-").clients == [acme, sfera]  # from 3 characters, the ids too


def test_terms_may_match_the_name_and_the_external_id(am_alice):
    acme = ClientFactory(name="Acme Logistik", external_id="SF-0012345", owner=am_alice, team=am_alice.team)
    ClientFactory(name="Acme Foods", external_id="SF-0077777", owner=am_alice, team=am_alice.team)
    assert global_search(user=am_alice, query="acme 0012").clients == [acme]


def test_search_costs_two_queries_whatever_it_finds(am_alice, alice_client, django_assert_num_queries):
    for i in range(12):
        ClientFactory(name=f"Müller {i:02}", owner=am_alice, team=am_alice.team)
        client_services.contact_create(client=alice_client, by=am_alice, first_name=f"Ida {i}", last_name="Müller")
    with django_assert_num_queries(2):
        results = global_search(user=am_alice, query="mu")
        # what the dropdown shows: the owner of each client, the client of each contact (no query per row)
        [(c.owner.get_full_name(), c.external_id) for c in results.clients]
        [(c.client.name, c.phone, c.email) for c in results.contacts]
    assert (len(results.clients), len(results.contacts), results.more_clients, results.more_contacts) == (
        8,
        8,
        True,
        True,
    )
    with django_assert_num_queries(2):
        global_search(user=am_alice, query="+49 30 1234567")


@pytest.mark.parametrize(
    ("query", "indexes"),
    [
        ("mu", ["client_name_heads", "contact_text_heads"]),
        ("müller", ["client_text_fold_trgm", "contact_text_fold_trgm"]),
        ("jo mu", ["client_name_heads", "contact_text_heads"]),
        ("sf-0012", ["client_text_fold_trgm", "contact_text_fold_trgm"]),
        ("+49 30 1234567", ["client_text_fold_trgm", "contact_phone_digits_trgm", "clients_contact_phone_e164"]),
        ("4567", ["client_text_fold_trgm", "contact_text_fold_trgm", "contact_phone_digits_trgm"]),
    ],
)
def test_the_queries_are_written_as_the_indexes_are(admin_ada, alice_client, query, indexes):
    """With sequential scans, plain index scans and nested loops switched off (a handful of rows would otherwise
    be read directly), a query whose expression is not the indexed one still reads the whole table (a Seq Scan in
    the plan): so each index named must be in the plans, and no Seq Scan of the searched table. As an admin, whose
    scope is every client (the widest, as in bench/search_bench.py)."""
    from django.db import connection

    from dashboards.selectors import global_search_querysets

    if connection.vendor != "postgresql":
        pytest.skip("the indexes are PostgreSQL's (migration clients 0015)")
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_nestloop"):
            cursor.execute(f"SET LOCAL {setting} = off")
    clients, contacts = global_search_querysets(user=admin_ada, query=query)
    client_plan, contact_plan = clients[:9].explain(), contacts[:9].explain()
    assert "Seq Scan on clients_client" not in client_plan, client_plan
    assert "Seq Scan on clients_contact" not in contact_plan, contact_plan
    for index in indexes:
        assert index in client_plan + contact_plan, f"{index} not used for {query!r}:\n{client_plan}\n{contact_plan}"


@pytest.mark.parametrize("text", ["Jörg  Müller jörg.5@example.com", " Ærø\tÉLAN  x ", "", "Anna-Lena O'Brien"])
def test_word_heads_in_sql_are_the_word_starts_of_python(text):
    """crm_word_heads (PostgreSQL) and starts_a_word (SQLite) agree on what starts a word."""
    from django.db import connection

    from core.search import starts_a_word

    if connection.vendor != "postgresql":
        pytest.skip("crm_word_heads is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT crm_word_heads(%s)", [text])
        heads = set(cursor.fetchone()[0])
    expected = {word[:n] for word in fold(text).split() for n in (1, 2)}
    assert heads == expected
    assert all(starts_a_word(text, head) for head in heads)
