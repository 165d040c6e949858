"""The health panels of the client page: the badge by the name, the explained score, the 180-day chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clients.models import Client
from clients.panels import ClientPanel
from health import selectors
from users.models import User

HISTORY_DAYS = 180


def _context(*, client: Client, user: User, today: dt.date) -> dict:
    return {
        "score": selectors.latest_score(client=client),
        "history": list(selectors.score_history(client=client, days=HISTORY_DAYS, until=today)),
    }


def _chart(context: dict) -> dict[str, Any]:
    return {"health": [{"x": row["date"].isoformat(), "y": row["score"]} for row in context["history"]]}


PANEL = ClientPanel(
    key="health",
    context=_context,
    templates={
        "badges": "health/_client_badge.html",
        "side": "health/_client_panel.html",
        "main": "health/_client_history.html",
    },
    order=20,
    chart_data=_chart,
)
