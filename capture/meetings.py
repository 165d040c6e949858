"""Meetings in (reading): an invitation (.ics by mail or uploaded) for a meeting with a client's contacts becomes a
scheduled meeting, and a meeting interaction once it has taken place (the writes are in services.py).

The invitation's UID identifies the meeting for its whole life: a later REQUEST with a higher SEQUENCE
moves it, a CANCEL calls it off, the same message read twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar

from capture.models import ScheduledMeeting
from core.dates import start_of_local_day
from core.errors import ApplicationError

MAX_ICS_BYTES = 1024 * 1024
SUMMARY_MAX = 300


@dataclass(frozen=True)
class InvitationEvent:
    uid: str
    sequence: int
    cancelled: bool
    summary: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    organizer: str
    attendees: tuple[str, ...]


def looks_like_icalendar(raw: bytes) -> bool:
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR"


def _moment(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return start_of_local_day(value)  # an all-day event


def _email(address) -> str:
    text = str(address or "").strip()
    return text[7:].lower() if text.lower().startswith("mailto:") else text.lower()


def parse_invitation(raw: bytes) -> list[InvitationEvent]:
    """The meetings of an iCalendar object. Raises ApplicationError (in words) for what is not one."""
    if len(raw) > MAX_ICS_BYTES:
        raise ApplicationError(_("This calendar file is larger than 1 MB; it is not a meeting invitation."))
    try:
        calendar = Calendar.from_ical(raw)
    except Exception as exc:
        raise ApplicationError(_("This file is not a readable calendar invitation (.ics).")) from exc
    method = str(calendar.get("METHOD", "REQUEST")).upper()
    events = []
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()
        if not uid or event.get("DTSTART") is None:
            continue
        starts_at = _moment(event.decoded("DTSTART"))
        if event.get("DTEND") is not None:
            ends_at = _moment(event.decoded("DTEND"))
        elif event.get("DURATION") is not None:
            ends_at = starts_at + event.decoded("DURATION")
        else:
            ends_at = starts_at
        attendees = event.get("ATTENDEE", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        status = str(event.get("STATUS", "")).upper()
        events.append(
            InvitationEvent(
                uid=uid[:255],
                sequence=int(event.get("SEQUENCE", 0) or 0),
                cancelled=method == "CANCEL" or status == "CANCELLED",
                summary=str(event.get("SUMMARY", "")).strip()[:SUMMARY_MAX] or _("(no subject)"),
                description=str(event.get("DESCRIPTION", "")).strip(),
                starts_at=starts_at,
                ends_at=max(ends_at, starts_at),
                organizer=_email(event.get("ORGANIZER")),
                attendees=tuple(e for e in (_email(a) for a in attendees) if e),
            )
        )
    if not events:
        raise ApplicationError(_("This calendar file holds no meeting."))
    return events


@dataclass(frozen=True)
class MeetingResult:
    meeting: ScheduledMeeting | None
    outcome: str  # "scheduled", "moved", "cancelled", "logged", "unchanged", "no_client"
