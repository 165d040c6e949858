"""The contracts panel of the client page: contracts, ARR and MRR from them, the renewal date."""

from __future__ import annotations

import datetime as dt

from clients.models import Client
from clients.panels import ClientPanel
from contracts import selectors
from contracts.permissions import contract_can_edit_client
from users.models import User


def _context(*, client: Client, user: User, today: dt.date) -> dict:
    contracts = selectors.client_contracts(client=client)
    arr = selectors.revenue_totals(c for c in contracts if selectors.in_force_on(c, today))
    return {
        "client": client,
        "contracts": contracts,
        "arr": arr,
        "mrr": selectors.mrr(arr),
        "conversion": selectors.convert(arr, on_date=today) if len(arr) > 1 else None,
        "today": today,
        "can_add": contract_can_edit_client(user=user, client=client),
    }


PANEL = ClientPanel(key="contracts", context=_context, templates={"main": "contracts/_client_panel.html"}, order=25)


def _paperwork(*, client: Client, user: User, today: dt.date) -> dict:
    return {
        "client": client,
        "today": today,
        "can_add": contract_can_edit_client(user=user, client=client),
        **selectors.client_paperwork(client=client, user=user),
    }


PAPERWORK_PANEL = ClientPanel(
    key="paperwork", context=_paperwork, templates={"main": "contracts/_client_paperwork.html"}, order=26
)
