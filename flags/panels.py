"""The flags panel of the client page: the client's live flags, above everything else."""

from __future__ import annotations

import datetime as dt

from clients.models import Client
from clients.panels import ClientPanel
from flags import selectors
from users.models import User


def _context(*, client: Client, user: User, today: dt.date) -> dict:
    return {"flags": list(selectors.client_live_flags(client=client, user=user))}


PANEL = ClientPanel(
    key="flags",
    context=_context,
    templates={"actions": "flags/_client_actions.html", "alerts": "flags/_client_panel.html"},
    order=10,
)
