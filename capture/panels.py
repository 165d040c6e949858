"""The client page's "Upload e-mail" action (no query: captured e-mail shows on the timeline as interactions)."""

from __future__ import annotations

import datetime as dt

from capture.models import MeetingStatus, ScheduledMeeting
from clients.models import Client
from clients.panels import ClientPanel
from clients.permissions import client_can_edit
from users.models import User


def _context(*, client: Client, user: User, today: dt.date) -> dict | None:
    if client.archived_at is not None or not client_can_edit(user=user, client=client):
        return None
    return {"client": client}


PANEL = ClientPanel(key="capture", context=_context, templates={"actions": "capture/_client_actions.html"}, order=35)


def _meetings_context(*, client: Client, user: User, today: dt.date) -> dict | None:
    """Meetings learnt from invitations that have not taken place yet (one query; hidden when there are none)."""
    upcoming = list(
        ScheduledMeeting.objects.filter(client=client, status=MeetingStatus.SCHEDULED).order_by("starts_at")[:5]
    )
    return {"client": client, "meetings": upcoming} if upcoming else None


MEETINGS_PANEL = ClientPanel(
    key="capture-meetings", context=_meetings_context, templates={"side": "capture/_client_meetings.html"}, order=36
)
