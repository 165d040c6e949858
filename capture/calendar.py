"""Calendars out: the entries of a user's private iCalendar feed, and the RFC 5545 text of a feed or an
invitation.

One home for iCalendar output. Apps below capture in the import chain (interactions, contracts) are
read directly; apps above it (reviews) add their entries through ``register_provider`` from their
``AppConfig.ready()``, as the client page's panels do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from contracts.models import Renewal
from interactions.models import FollowUp, FollowUpStatus
from users.models import User

PRODID = "-//Account CRM//Calendar//EN"
# The right-hand side of every UID: stable whatever host serves the feed, so a calendar that
# re-reads the feed updates its entries instead of duplicating them.
UID_DOMAIN = "accounts-crm"
# How far back a feed reaches (past entries stay visible for a while, then drop off).
FEED_PAST_DAYS = 30


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    summary: str
    day: dt.date
    description: str = ""
    path: str = ""  # a local path of the product; the feed view makes it absolute


Provider = Callable[[User, dt.date], Iterable[CalendarEntry]]
_providers: list[Provider] = []


def register_provider(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def followup_entries(user: User, today: dt.date) -> Iterable[CalendarEntry]:
    """The user's open follow-ups on their internal due date, and commitments also on the promised date."""
    rows = (
        FollowUp.objects.filter(
            owner=user, status=FollowUpStatus.OPEN, due_date__gte=today - dt.timedelta(days=FEED_PAST_DAYS)
        )
        .select_related("client")
        .order_by("due_date", "pk")
    )
    for followup in rows:
        path = reverse("clients:detail", args=[followup.client_id])
        yield CalendarEntry(
            uid=f"followup-{followup.pk}-due@{UID_DOMAIN}",
            summary=_("Due: %(title)s (%(client)s)") % {"title": followup.title, "client": followup.client.name},
            day=followup.due_date,
            description=followup.notes,
            path=path,
        )
        if followup.is_commitment and followup.promised_date:
            yield CalendarEntry(
                uid=f"followup-{followup.pk}-promised@{UID_DOMAIN}",
                summary=_("Promised to %(client)s: %(title)s")
                % {"title": followup.title, "client": followup.client.name},
                day=followup.promised_date,
                description=followup.notes,
                path=path,
            )


def renewal_entries(user: User, today: dt.date) -> Iterable[CalendarEntry]:
    """Renewal dates of the user's own clients that are still open."""
    rows = (
        Renewal.objects.filter(
            client__owner=user,
            client__archived_at__isnull=True,
            closed_on__isnull=True,
            due_on__gte=today - dt.timedelta(days=FEED_PAST_DAYS),
        )
        .select_related("client")
        .order_by("due_on", "pk")
    )
    for renewal in rows:
        yield CalendarEntry(
            uid=f"renewal-{renewal.pk}@{UID_DOMAIN}",
            summary=_("Renewal: %(client)s") % {"client": renewal.client.name},
            day=renewal.due_on,
            path=reverse("clients:detail", args=[renewal.client_id]),
        )


register_provider(followup_entries)
register_provider(renewal_entries)


def entries_for(*, user: User, today: dt.date) -> list[CalendarEntry]:
    entries = [entry for provider in _providers for entry in provider(user, today)]
    return sorted(entries, key=lambda entry: (entry.day, entry.uid))


def _calendar(*, name: str = "", method: str = "") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def feed_ics(*, entries: Iterable[CalendarEntry], name: str, base_url: str, now: dt.datetime | None = None) -> bytes:
    """A VCALENDAR of all-day events, one per entry (RFC 5545: DTEND is the day after, exclusive)."""
    stamp = now or timezone.now()
    calendar = _calendar(name=name)
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.day)
        event.add("dtend", entry.day + dt.timedelta(days=1))
        event.add("summary", entry.summary)
        event.add("transp", "TRANSPARENT")  # a due date does not make the person busy
        if entry.description:
            event.add("description", entry.description)
        if entry.path:
            event.add("url", base_url.rstrip("/") + entry.path)
        calendar.add_component(event)
    return calendar.to_ical()


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str = ""


@dataclass(frozen=True)
class Meeting:
    """A meeting the product invites people to (a planned account review)."""

    uid: str
    sequence: int
    summary: str
    start: dt.date | dt.datetime  # a date: an all-day meeting (DTEND the day after)
    end: dt.date | dt.datetime
    organizer: Attendee
    attendees: tuple[Attendee, ...]
    description: str = ""
    location: str = ""


def _address(person: Attendee, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["cn"] = vText(person.name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invitation_ics(*, meeting: Meeting, cancel: bool = False, now: dt.datetime | None = None) -> bytes:
    """An iTIP message (RFC 5546): METHOD:REQUEST to invite or move, METHOD:CANCEL to call it off.

    The UID stays the same for the life of the meeting and SEQUENCE grows with each change, which is how a
    calendar knows that a new message replaces the entry it already has.
    """
    calendar = _calendar(method="CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now or timezone.now())
    event.add("dtstart", meeting.start)
    event.add("dtend", meeting.end)
    event.add("summary", meeting.summary)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    if meeting.description:
        event.add("description", meeting.description)
    if meeting.location:
        event.add("location", meeting.location)
    event.add("organizer", _address(meeting.organizer))
    for person in meeting.attendees:
        event.add("attendee", _address(person, role="REQ-PARTICIPANT", partstat="NEEDS-ACTION", rsvp="TRUE"))
    calendar.add_component(event)
    return calendar.to_ical()
