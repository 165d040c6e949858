"""Reads for the cross-app pages. Each returns everything a page shows, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import Client
from health import flag_selectors
from health import selectors as health_selectors
from health.models import HealthScore
from interactions import selectors as interaction_selectors
from users.models import User


@dataclass
class Account360:
    client: Client
    contacts: list
    handoffs: list
    followups: list
    score: HealthScore | None
    flags: list
    score_history: list[dict[str, Any]]
    kpis: dict[str, dict]
    today: dt.date

    @property
    def contact_overdue_days(self) -> int | None:
        due = self.client.contact_due_on
        if due is None or due >= self.today:
            return None
        return (self.today - due).days

    @property
    def chart_data(self) -> dict[str, Any]:
        return {
            "health": [{"x": row["date"].isoformat(), "y": row["score"]} for row in self.score_history],
            "kpis": {
                key: {"name": series["name"], "unit": series["unit"], "points": series["points"]}
                for key, series in self.kpis.items()
                if series["points"]
            },
        }


def account_360(*, client: Client, user: User, today: dt.date | None = None) -> Account360:
    today = today or timezone.localdate()
    handoffs = list(client_selectors.client_detail_handoffs(client=client))
    return Account360(
        client=client,
        contacts=list(client_selectors.client_contacts(client=client)),
        handoffs=[(h, client_services.handoff_readiness(h)) for h in handoffs],
        followups=list(interaction_selectors.client_open_followups(client=client, user=user)[:20]),
        score=health_selectors.latest_score(client=client),
        flags=list(flag_selectors.client_live_flags(client=client, user=user)),
        score_history=list(health_selectors.score_history(client=client, days=180, until=today)),
        kpis=health_selectors.kpi_series(client=client, days=180, until=today),
        today=today,
    )
