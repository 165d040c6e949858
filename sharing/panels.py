"""The client page's "Share plan" action (no query)."""

from __future__ import annotations

import datetime as dt

from clients.models import Client
from clients.panels import ClientPanel
from clients.permissions import client_can_edit
from users.models import User


def _context(*, client: Client, user: User, today: dt.date) -> dict | None:
    if client.archived_at is not None or not client_can_edit(user=user, client=client):
        return None
    return {"client": client}


PANEL = ClientPanel(key="sharing", context=_context, templates={"actions": "sharing/_client_action.html"}, order=37)
