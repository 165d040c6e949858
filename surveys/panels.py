"""The client page's "Surveys" action: a link to the client's survey results (no query)."""

from __future__ import annotations

import datetime as dt

from clients.models import Client
from clients.panels import ClientPanel
from users.models import User


def _context(*, client: Client, user: User, today: dt.date) -> dict | None:
    return {"client": client}  # whoever sees the client sees its results; sending is checked on the page


PANEL = ClientPanel(key="surveys", context=_context, templates={"actions": "surveys/_client_action.html"}, order=38)
