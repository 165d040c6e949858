"""The open follow-ups panel of the client page."""

from __future__ import annotations

import datetime as dt

from clients.models import Client
from clients.panels import ClientPanel
from interactions import selectors
from users.models import User

SHOWN = 20


def _context(*, client: Client, user: User, today: dt.date) -> dict:
    return {"followups": list(selectors.client_open_followups(client=client, user=user)[:SHOWN]), "today": today}


PANEL = ClientPanel(
    key="followups",
    context=_context,
    templates={"actions": "interactions/_client_actions.html", "side": "interactions/_client_panel.html"},
    order=30,
    slot_order={"actions": 0},
)
