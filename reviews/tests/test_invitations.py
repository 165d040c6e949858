"""Planning or moving a review invites its attendees (iTIP REQUEST with one UID and a growing SEQUENCE, through
the outbox and a real SMTP server); someone taken off the list gets a CANCEL. Parsed back with icalendar."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from clients.models import ClientStatus
from notifications.models import OutboxMessage
from notifications.services import outbox_deliver
from reviews import services
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(am_alice):
    client = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
    client.dora = ContactFactory(client=client, first_name="Dora", email="dora@acme.example")
    client.ivan = ContactFactory(client=client, first_name="Ivan", email="ivan@acme.example")
    return client


def _event(message: OutboxMessage):
    calendar = Calendar.from_ical(message.calendar)
    [event] = list(calendar.walk("VEVENT"))
    return str(calendar["METHOD"]), event


def test_planning_and_moving_a_review_sends_invitations_that_replace_each_other(acme, am_alice, am_bob):
    review = services.review_plan(
        client=acme, by=am_alice, year=2026, quarter=4, planned_on=dt.date(2026, 12, 10),
        contacts=[acme.dora, acme.ivan], colleagues=[am_bob], agenda="Renewal and the Q1 plan",
    )  # fmt: skip
    first = {m.recipient: m for m in OutboxMessage.objects.all()}
    assert set(first) == {"dora@acme.example", "ivan@acme.example", am_bob.email, am_alice.email}
    method, event = _event(first["dora@acme.example"])
    assert method == "REQUEST" and str(event["UID"]) == f"review-{review.pk}@accounts-crm"
    assert int(event["SEQUENCE"]) == 1 and event.decoded("DTSTART") == dt.date(2026, 12, 10)
    assert str(event["ORGANIZER"]) == f"mailto:{am_alice.email}"
    assert {str(a) for a in event["ATTENDEE"]} >= {"mailto:dora@acme.example", "mailto:ivan@acme.example"}

    services.review_plan_update(
        review=review, by=am_alice, expected_version=review.version, planned_on=dt.date(2026, 12, 14),
        contacts=[acme.dora],
    )  # fmt: skip
    later = OutboxMessage.objects.exclude(pk__in=[m.pk for m in first.values()])
    by_recipient = {m.recipient: m for m in later}
    method, moved = _event(by_recipient["dora@acme.example"])
    assert method == "REQUEST" and str(moved["UID"]) == str(event["UID"]) and int(moved["SEQUENCE"]) == 2
    assert moved.decoded("DTSTART") == dt.date(2026, 12, 14)
    method, cancelled = _event(by_recipient["ivan@acme.example"])
    assert method == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED" and int(cancelled["SEQUENCE"]) == 2


def test_only_the_agenda_unchanged_sends_nothing_new(acme, am_alice):
    review = services.review_plan(
        client=acme, by=am_alice, year=2026, quarter=4, planned_on=dt.date(2026, 12, 10), contacts=[acme.dora]
    )
    count = OutboxMessage.objects.count()
    services.review_plan_update(review=review, by=am_alice, expected_version=review.version)
    assert OutboxMessage.objects.count() == count


def test_the_invitation_reaches_an_smtp_server_as_a_calendar_part(acme, am_alice, smtp_server):
    services.review_plan(
        client=acme, by=am_alice, year=2026, quarter=4, planned_on=dt.date(2026, 12, 10), contacts=[acme.dora]
    )
    message = OutboxMessage.objects.get(recipient="dora@acme.example")
    assert outbox_deliver(message_id=message.pk) == "sent"
    [received] = [m for m in smtp_server.messages if "dora@acme.example" in m["To"]]
    parts = {part.get_content_type(): part for part in received.walk()}
    assert parts["text/calendar"].get_param("method") == "REQUEST"
    assert b"BEGIN:VEVENT" in parts["text/calendar"].get_payload(decode=True)
