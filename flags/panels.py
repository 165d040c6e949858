"""The flags panel of the client page: the client's live flags, above everything else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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


# Panels of the flag page contributed by the apps to the right (playbooks' runs of the flag): the page calls each
# context function once, with (flag=, user=), and renders its template; None hides the panel.
@dataclass(frozen=True)
class FlagPanel:
    key: str
    context: Callable[..., Mapping[str, Any] | None]
    template: str
    order: int = 50


_flag_panels: dict[str, FlagPanel] = {}


def register_flag_panel(panel: FlagPanel) -> None:
    _flag_panels[panel.key] = panel


def flag_panels_for(*, flag, user: User) -> list[tuple[str, Mapping[str, Any]]]:
    rendered = []
    for panel in sorted(_flag_panels.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(flag=flag, user=user)
        if context is not None:
            rendered.append((panel.template, context))
    return rendered
