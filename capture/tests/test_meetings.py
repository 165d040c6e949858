"""Meetings in: an invitation (.ics uploaded or in a captured e-mail) for a meeting with a client's contacts
is scheduled, moved, cancelled and, once it has taken place, logged as a meeting interaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from capture import calendar, meetings, services
from capture.models import CaptureSource, MeetingStatus, ScheduledMeeting
from capture.tests.mail import message
from clients.models import ClientStatus
from interactions.models import Interaction, InteractionKind
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def acme(am_alice):
    client = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
    ContactFactory(client=client, first_name="Dora", email="dora@acme.example")
    ContactFactory(client=client, first_name="Ivan", email="ivan@acme.example")
    return client


def _invitation(*, start: dt.datetime, sequence: int = 0, cancel: bool = False, uid: str = "m-1@mail.acme.example",
                summary: str = "Обсуждение продления") -> bytes:  # fmt: skip
    meeting = calendar.Meeting(
        uid=uid,
        sequence=sequence,
        summary=summary,
        start=start,
        end=start + dt.timedelta(hours=1),
        organizer=calendar.Attendee("dora@acme.example", "Дора"),
        attendees=(calendar.Attendee("am_alice@example.com", "Alice"), calendar.Attendee("ivan@acme.example")),
        description="Agenda: price, scope",
    )
    return calendar.invitation_ics(meeting=meeting, cancel=cancel, now=NOW)


def test_an_invitation_round_trips_through_the_parser():
    events = meetings.parse_invitation(_invitation(start=NOW + dt.timedelta(days=2), sequence=3))
    assert len(events) == 1
    event = events[0]
    assert (event.uid, event.sequence, event.cancelled) == ("m-1@mail.acme.example", 3, False)
    assert event.summary == "Обсуждение продления"
    assert event.organizer == "dora@acme.example"
    assert event.attendees == ("am_alice@example.com", "ivan@acme.example")
    assert event.ends_at - event.starts_at == dt.timedelta(hours=1)
    assert meetings.parse_invitation(_invitation(start=NOW, cancel=True))[0].cancelled is True


def test_a_future_meeting_is_scheduled_moved_and_logged_once_it_is_over(acme, am_alice):
    start = NOW + dt.timedelta(days=2)
    [result] = services.invitation_upload(raw=_invitation(start=start), client=acme, by=am_alice, now=NOW)
    assert result.outcome == "scheduled"
    assert not Interaction.objects.filter(client=acme).exists()

    moved = start + dt.timedelta(days=1)
    [result] = services.invitation_upload(raw=_invitation(start=moved, sequence=1), client=acme, by=am_alice, now=NOW)
    assert result.outcome == "moved"
    # An older message read late does not move it back.
    [result] = services.invitation_upload(raw=_invitation(start=start, sequence=0), client=acme, by=am_alice, now=NOW)
    assert result.outcome == "unchanged"
    meeting = ScheduledMeeting.objects.get(client=acme)
    assert (meeting.starts_at, meeting.sequence) == (moved, 1)

    assert services.meetings_log_due(now=moved + dt.timedelta(minutes=30)) == 0  # still going on
    assert services.meetings_log_due(now=moved + dt.timedelta(hours=2)) == 1
    assert services.meetings_log_due(now=moved + dt.timedelta(hours=3)) == 0  # once
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.LOGGED
    interaction = meeting.interaction
    assert interaction.kind == InteractionKind.MEETING and interaction.occurred_at == moved
    assert interaction.author == am_alice
    assert sorted(c.first_name for c in interaction.contacts.all()) == ["Dora", "Ivan"]
    assert interaction.summary.startswith("Обсуждение продления")
    acme.refresh_from_db()
    assert acme.last_contact_at == moved


def test_a_cancelled_meeting_is_never_logged(acme, am_alice):
    start = NOW + dt.timedelta(days=2)
    services.invitation_upload(raw=_invitation(start=start), client=acme, by=am_alice, now=NOW)
    [result] = services.invitation_upload(
        raw=_invitation(start=start, sequence=1, cancel=True), client=acme, by=am_alice, now=NOW
    )
    assert result.outcome == "cancelled"
    assert services.meetings_log_due(now=start + dt.timedelta(days=1)) == 0
    assert not Interaction.objects.filter(client=acme).exists()


def test_a_past_meeting_uploaded_on_the_client_page_is_logged_at_once(client, acme, am_alice):
    client.force_login(am_alice)
    raw = _invitation(start=dt.datetime(2026, 10, 1, 10, 0, tzinfo=dt.UTC))
    upload = SimpleUploadedFile("invite.ics", raw, content_type="text/calendar")
    response = client.post(reverse("capture:upload", args=[acme.pk]), {"file": upload})
    assert response.status_code == 302
    interaction = Interaction.objects.get(client=acme)
    assert interaction.kind == InteractionKind.MEETING
    # The same file again changes nothing.
    upload = SimpleUploadedFile("invite.ics", raw, content_type="text/calendar")
    client.post(reverse("capture:upload", args=[acme.pk]), {"file": upload})
    assert Interaction.objects.filter(client=acme).count() == 1


def test_a_broken_calendar_file_is_refused_on_the_field(client, acme, am_alice):
    client.force_login(am_alice)
    upload = SimpleUploadedFile("invite.ics", b"BEGIN:VCALENDAR\r\nthis is not\r\n", content_type="text/calendar")
    response = client.post(reverse("capture:upload", args=[acme.pk]), {"file": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ScheduledMeeting.objects.exists() and not Interaction.objects.exists()


def test_an_invitation_in_a_captured_email_schedules_the_meeting(acme, am_alice):
    start = NOW + dt.timedelta(days=5)
    raw = message(
        subject="Invitation: Обсуждение продления",
        attachments=(("invite.ics", "text/calendar", _invitation(start=start)),),
    )
    result = services.message_capture(raw=raw, source=CaptureSource.INBOUND, now=NOW)
    assert result.message.client_id == acme.pk
    meeting = ScheduledMeeting.objects.get(client=acme)
    assert meeting.starts_at == start and meeting.status == MeetingStatus.SCHEDULED
    assert meeting.owner == am_alice


def test_the_client_page_lists_upcoming_meetings(client, acme, am_alice):
    services.invitation_upload(raw=_invitation(start=NOW + dt.timedelta(days=2)), client=acme, by=am_alice, now=NOW)
    client.force_login(am_alice)
    page = client.get(reverse("clients:detail", args=[acme.pk])).content.decode()
    assert "Upcoming meetings" in page and "Обсуждение продления" in page
