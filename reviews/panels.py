"""The reviews panel of the client page: the quarter's review, the account plan, open action items."""

from __future__ import annotations

import datetime as dt

from clients.models import Client
from clients.panels import ClientPanel
from reviews import selectors
from users.models import User


def _context(*, client: Client, user: User, today: dt.date):
    return selectors.account_panel(client=client, user=user)


PANEL = ClientPanel(key="reviews", context=_context, templates={"main": "reviews/_account_panel.html"}, order=60)
