"""capture/services.py: dedup, threading, matching, the To file queue, privacy, size limits, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models import Q

from capture import services
from capture.models import CapturedMessage, CaptureDomain, CaptureReason, CaptureStatus, Direction
from capture.permissions import captured_message_visibility_q
from capture.tests.mail import HTML_ONLY, cyrillic_koi8, message
from clients.models import Client
from core.errors import ApplicationError, NotAllowedError
from interactions.models import Interaction, InteractionKind
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(am_alice):
    client = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team, contact_cadence_days=14)
    ContactFactory(client=client, first_name="Dora", last_name="Client", email="Dora@acme.example")
    ContactFactory(client=client, first_name="Ivan", last_name="Buyer", email="ivan@acme.example")
    return client


def capture(raw: bytes, **kwargs):
    kwargs.setdefault("source", "imap")
    kwargs.setdefault("now", NOW)
    return services.message_capture(raw=raw, **kwargs)


def visible(user) -> set[int]:
    return set(CapturedMessage.objects.filter(captured_message_visibility_q(user)).values_list("pk", flat=True))


def test_a_message_from_a_contact_becomes_an_email_interaction_and_updates_last_contact(acme, am_alice):
    result = capture(message(date=NOW - dt.timedelta(hours=2), cc="ivan@acme.example"))
    captured = result.message
    assert result.created and captured.status == CaptureStatus.FILED and captured.client == acme
    interaction = captured.interaction
    assert interaction.kind == InteractionKind.EMAIL and interaction.author == am_alice
    assert interaction.occurred_at == NOW - dt.timedelta(hours=2)
    assert interaction.summary.startswith("Renewal questions\n\nHello Alice,")
    assert {c.first_name for c in interaction.contacts.all()} == {"Dora", "Ivan"}
    assert captured.direction == Direction.INBOUND
    acme.refresh_from_db()
    assert acme.last_contact_at == NOW - dt.timedelta(hours=2)
    assert acme.contact_due_on == dt.date(2026, 3, 16)  # last contact + the 14-day cadence


def test_mail_sent_by_a_colleague_is_outbound_and_theirs(acme, am_bob):
    captured = capture(message(sender="Bob <am_bob@example.com>", to="dora@acme.example")).message
    assert captured.direction == Direction.OUTBOUND
    assert captured.interaction.author == am_bob  # a teammate who only reads the client still wrote it


def test_the_same_message_id_is_one_interaction_however_often_it_arrives(acme, am_alice, am_bob):
    raw = message(to="Alice <am_alice@example.com>, Bob <am_bob@example.com>", message_id="<twice@acme.example>")
    first = capture(raw)
    second = capture(raw, source="inbound")
    again = capture(raw.replace(b"Renewal questions", b"Renewal questions (copy)"))  # another copy, same id
    assert first.created and not second.created and not again.created
    assert second.message.pk == first.message.pk == again.message.pk
    assert Interaction.objects.filter(client=acme).count() == 1
    assert first.message.interaction.author == am_alice  # the recipient who may edit the client


def test_replies_are_threaded_and_follow_the_client_of_their_thread(acme, am_alice):
    first = capture(message(message_id="<root@acme.example>")).message
    # A reply from an address nobody knows (a colleague of Dora's at a free-mail address) in the same thread.
    reply = capture(
        message(sender="someone@gmail.com", message_id="<r1@x>", in_reply_to="<root@acme.example>",
                references="<root@acme.example>", subject="Re: Renewal questions"),
    ).message  # fmt: skip
    assert reply.thread_id == first.thread_id
    assert reply.status == CaptureStatus.FILED and reply.client == acme


def test_a_reply_captured_before_its_original_joins_the_same_thread(acme):
    reply = capture(message(message_id="<r@x>", in_reply_to="<orig@x>")).message
    original = capture(message(message_id="<orig@x>")).message
    assert original.thread_id == reply.thread_id


def test_matching_by_domain_when_no_contact_address_matches(acme):
    captured = capture(message(sender="New Person <new.person@acme.example>")).message
    assert captured.status == CaptureStatus.FILED and captured.client == acme
    assert list(captured.interaction.contacts.all()) == []


def test_free_mail_domains_never_match_a_client(am_alice):
    client = ClientFactory(name="Gmail Users Ltd", owner=am_alice, team=am_alice.team)
    ContactFactory(client=client, email="boss@gmail.com")
    captured = capture(message(sender="stranger@gmail.com")).message
    assert captured.status == CaptureStatus.TO_FILE and captured.reason == CaptureReason.NO_MATCH
    assert captured.owner == am_alice  # waits in the queue of the colleague who received it
    matched = capture(message(sender="boss@gmail.com")).message  # the contact's own address still matches
    assert matched.client == client


def test_ambiguous_mail_waits_with_its_candidates(acme, am_alice):
    other = ClientFactory(name="ACME Retail", owner=am_alice, team=am_alice.team)
    ContactFactory(client=other, email="dora@acme.example")  # the same person at two clients
    captured = capture(message()).message
    assert captured.status == CaptureStatus.TO_FILE and captured.reason == CaptureReason.AMBIGUOUS
    assert captured.candidates == sorted([acme.pk, other.pk])
    assert Interaction.objects.count() == 0


def test_filing_from_the_queue_logs_the_interaction_and_can_learn_the_domain(am_alice):
    client = ClientFactory(name="Globex", owner=am_alice, team=am_alice.team)
    captured = capture(message(sender="Hank <hank@globex.example>")).message
    assert captured.status == CaptureStatus.TO_FILE
    services.captured_message_file(message=captured, client=client, by=am_alice, remember_domain=True, now=NOW)
    captured.refresh_from_db()
    assert captured.status == CaptureStatus.FILED and captured.interaction.author == am_alice
    assert CaptureDomain.objects.get(domain="globex.example").client == client
    client.refresh_from_db()
    assert client.last_contact_at is not None
    # The product learned: the next message from that domain files itself, and so does its thread.
    later = capture(message(sender="Marge <marge@globex.example>")).message
    assert later.status == CaptureStatus.FILED and later.client == client
    with pytest.raises(ApplicationError):
        services.captured_message_file(message=captured, client=client, by=am_alice, now=NOW)


def test_only_the_owner_or_their_lead_files_a_message_and_only_to_a_client_they_edit(
    am_alice, am_bob, lead_lena, am_oscar
):
    mine = ClientFactory(name="Mine", owner=am_alice, team=am_alice.team)
    bobs = ClientFactory(name="Bob's", owner=am_bob, team=am_bob.team)
    captured = capture(message(sender="x@unknown.example")).message
    for user in (am_bob, am_oscar):
        with pytest.raises(NotAllowedError):
            services.captured_message_file(message=captured, client=mine, by=user, now=NOW)
    with pytest.raises(NotAllowedError):  # Alice reads Bob's client but may not write on it
        services.captured_message_file(message=captured, client=bobs, by=am_alice, now=NOW)
    services.captured_message_file(message=captured, client=bobs, by=lead_lena, now=NOW)
    captured.refresh_from_db()
    assert captured.client == bobs and captured.interaction.author == am_alice  # Alice received it; she sees Bob's


def test_unfiled_mail_is_seen_by_its_owner_and_their_lead_only(am_alice, am_bob, lead_lena, am_oscar, admin_ada):
    captured = capture(message(sender="x@unknown.example")).message
    assert [captured.pk in visible(u) for u in (am_alice, am_bob, lead_lena, am_oscar, admin_ada)] == [
        True, False, True, False, False,
    ]  # fmt: skip
    nobodys = capture(message(sender="x@unknown.example", to="crm@ourco.example")).message
    assert nobodys.owner is None and nobodys.pk in visible(admin_ada) and nobodys.pk not in visible(am_alice)


def test_filed_mail_is_seen_like_a_note_by_its_author_and_a_private_thread_like_a_private_note(
    acme, am_alice, am_bob, lead_lena, am_oscar, admin_ada, sales_sam
):
    captured = capture(message()).message
    users = (am_alice, am_bob, lead_lena, am_oscar, admin_ada)
    assert [captured.pk in visible(u) for u in users] == [True, True, True, False, True]
    with pytest.raises(NotAllowedError):
        services.thread_set_private(message=captured, by=am_bob, private=True)
    result = services.thread_set_private(message=captured, by=am_alice, private=True)
    assert result.changed == 1
    captured.refresh_from_db()
    assert captured.interaction.is_private
    assert [captured.pk in visible(u) for u in users] == [True, False, True, False, False]
    # A later reply in the private thread is private from the start.
    reply = capture(message(message_id="<re@x>", in_reply_to=f"<{captured.message_id}>")).message
    assert reply.interaction.is_private and reply.pk not in visible(am_bob)
    services.thread_set_private(message=captured, by=am_alice, private=False)
    assert captured.pk in visible(am_bob) and reply.pk in visible(am_bob)


def test_mail_of_a_colleague_who_cannot_see_the_client_stays_theirs(acme, am_oscar, am_alice):
    captured = capture(message(sender="Oscar <am_oscar@example.com>", to="dora@acme.example")).message
    assert captured.status == CaptureStatus.TO_FILE and captured.reason == CaptureReason.NO_AUTHOR
    assert captured.owner == am_oscar and captured.pk not in visible(am_alice)


def test_a_message_nobody_of_us_took_part_in_is_the_client_owners(acme, am_alice):
    captured = capture(message(to="crm@ourco.example")).message
    assert captured.status == CaptureStatus.FILED and captured.interaction.author == am_alice


def test_cyrillic_and_html_only_messages_land_readable(acme):
    cyr = capture(cyrillic_koi8()).message
    assert cyr.subject == "Продление договора" and cyr.interaction.summary.startswith("Продление договора\n\nДобрый")
    html = capture(message(body=None, html=HTML_ONLY)).message
    assert html.from_html and "<" not in html.interaction.summary and "alert" not in html.interaction.summary


def test_attachments_are_listed_on_the_message(acme):
    raw = message(attachments=(("offer.pdf", "application/pdf", b"%PDF" + b"0" * 2000),))
    captured = capture(raw).message
    [listed] = captured.attachments
    assert (listed["name"], listed["type"], listed["size"]) == ("offer.pdf", "application/pdf", 2004)
    assert listed["kept"] is False and listed["why"]  # "%PDF0000…" is no real PDF: listed, not kept


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", CaptureReason.EMPTY),
        (b"garbage without any header\r\n\x00\xff\xfe", CaptureReason.NOT_EMAIL),
        (b"Subject: nobody\r\n\r\nbody", CaptureReason.NO_SENDER),
    ],
)
def test_malformed_messages_are_stored_as_failed_with_their_reason(raw, reason, am_alice):
    result = capture(raw, by=am_alice, source="upload")
    assert result.created and result.message.status == CaptureStatus.FAILED and result.message.reason == reason
    assert capture(raw, by=am_alice, source="upload").created is False  # the same bytes twice: one row
    assert Interaction.objects.count() == 0


def test_a_message_over_the_size_limit_is_failed_but_its_envelope_is_kept(acme, am_alice, settings):
    settings.CAPTURE_MAX_MESSAGE_BYTES = 5_000
    raw = message(attachments=(("big.bin", "application/octet-stream", b"0" * 10_000),))
    captured = capture(raw).message
    assert captured.status == CaptureStatus.FAILED and captured.reason == CaptureReason.TOO_LARGE
    assert captured.subject == "Renewal questions" and captured.owner == am_alice and captured.size == len(raw)
    assert Interaction.objects.count() == 0


def test_an_upload_on_a_client_page_files_there_and_needs_edit_rights(acme, am_alice, am_bob):
    other = ClientFactory(name="Elsewhere", owner=am_alice, team=am_alice.team)
    captured = capture(message(), source="upload", by=am_alice, client=other).message
    assert captured.client == other  # the page the user chose wins over the matching
    with pytest.raises(NotAllowedError):
        capture(message(), source="upload", by=am_bob, client=acme)


def test_uploading_a_to_file_message_on_a_client_page_files_it(am_alice):
    client = ClientFactory(name="Initech", owner=am_alice, team=am_alice.team)
    raw = message(sender="peter@initech.example", message_id="<waiting@x>")
    waiting = capture(raw).message
    assert waiting.status == CaptureStatus.TO_FILE
    result = capture(raw, source="upload", by=am_alice, client=client)
    assert not result.created and result.message.status == CaptureStatus.FILED and result.message.client == client


def test_a_date_in_the_future_is_logged_as_now(acme):
    captured = capture(message(date=NOW + dt.timedelta(days=2))).message
    assert captured.interaction.occurred_at == NOW and captured.sent_at == NOW + dt.timedelta(days=2)


def test_archived_clients_are_not_matched(acme):
    Client.objects.filter(pk=acme.pk).update(archived_at=NOW)
    assert capture(message()).message.status == CaptureStatus.TO_FILE


def test_own_domains_and_ignored_addresses_are_never_a_clients(am_alice, settings):
    settings.CAPTURE_OWN_DOMAINS = ["ourco.example"]
    client = ClientFactory(name="Us?", owner=am_alice, team=am_alice.team)
    ContactFactory(client=client, email="someone@ourco.example")
    captured = capture(message(sender="colleague@ourco.example")).message
    assert captured.status == CaptureStatus.TO_FILE
    assert not CapturedMessage.objects.filter(~Q(reason=CaptureReason.NO_MATCH), pk=captured.pk).exists()
