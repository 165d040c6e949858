"""Playbook runs on the client page (a panel of clients' registry) and on the flag page (flags' registry)."""

from __future__ import annotations

import datetime as dt

from clients.models import Client
from clients.panels import ClientPanel
from clients.permissions import client_can_edit
from flags.panels import FlagPanel
from playbooks import selectors
from users.models import User


def _with_progress(runs):
    return [(run, selectors.progress(run)) for run in runs]


def _client_context(*, client: Client, user: User, today: dt.date) -> dict:
    return {
        "playbook_runs": _with_progress(selectors.client_runs(client=client, user=user)),
        "can_start_playbook": client_can_edit(user=user, client=client),
        "client": client,
    }


def _flag_context(*, flag, user: User) -> dict:
    return {
        "playbook_runs": _with_progress(selectors.flag_runs(flag=flag)),
        "can_start_playbook": flag.is_live and client_can_edit(user=user, client=flag.client),
        "flag": flag,
    }


CLIENT_PANEL = ClientPanel(
    key="playbooks", context=_client_context, templates={"side": "playbooks/_client_panel.html"}, order=15
)
FLAG_PANEL = FlagPanel(key="playbooks", context=_flag_context, template="playbooks/_flag_panel.html")
