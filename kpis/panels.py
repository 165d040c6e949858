"""The KPI panel of the client page: each active metric's daily values over the last 180 days."""

from __future__ import annotations

import datetime as dt

from clients.models import Client
from clients.panels import ClientPanel
from kpis import selectors
from users.models import User

CHART_DAYS = 180


def _context(*, client: Client, user: User, today: dt.date) -> dict:
    series = selectors.kpi_series(client=client, days=CHART_DAYS, until=today)
    return {
        "chart": {
            "kpis": {
                key: {"name": s["name"], "unit": s["unit"], "points": s["points"]}
                for key, s in series.items()
                if s["points"]
            }
        }
    }


PANEL = ClientPanel(
    key="kpis",
    context=_context,
    templates={"main": "kpis/_client_panel.html"},
    order=80,
    chart_data=lambda context: context["chart"],
)
