"""The health panels of the client page: the badge by the name, the explained score, the 180-day chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import ngettext

from clients.models import Client
from clients.panels import ClientPanel
from core.formats import format_day
from core.phrases import render
from health import scoring, selectors
from users.models import User

HISTORY_DAYS = 180


def _review_fact(score) -> dt.date | None:
    """The last-review day the score was computed from (older scores stored only the days before the score's day)."""
    for component in score.components or []:
        if component.get("kind") != scoring.REVIEW_RECENCY:
            continue
        raw = component.get("raw") or {}
        if raw.get("last_review_on"):
            return dt.date.fromisoformat(raw["last_review_on"])
        if raw.get("days_since_review") is not None:
            return score.date - dt.timedelta(days=raw["days_since_review"])
    return None


def _explained(score) -> list[dict]:
    """The score's components as the panel shows them; the review component reads as the dated fact it counted
    from, the same one the reviews card prints (``Client.last_review_on``, as of the score's day)."""
    rows = []
    for component in score.components or []:
        row = dict(component)
        # Each reader reads the explanation in their own language (the stored text is the default language's).
        row["explanation"] = render(component.get("said"), fallback=component.get("explanation", ""))
        row["label"] = render(component.get("label_said"), fallback=component.get("label", ""))
        raw = component.get("raw") or {}
        days = raw.get("days_since_review")
        if component.get("kind") == scoring.REVIEW_RECENCY and days is not None:
            row["explanation"] = ngettext(
                "Last account review on %(review)s, %(days)d day before %(day)s",
                "Last account review on %(review)s, %(days)d days before %(day)s",
                days,
            ) % {"review": format_day(_review_fact(score)), "days": days, "day": format_day(score.date)}
        rows.append(row)
    return rows


def _context(*, client: Client, user: User, today: dt.date) -> dict:
    score = selectors.latest_score(client=client)
    reviewed_since = None
    if score is not None and client.last_review_on and client.last_review_on != _review_fact(score):
        reviewed_since = client.last_review_on  # a review held (or corrected) after this score was computed
    return {
        "score": score,
        "components": _explained(score) if score is not None else [],
        "reviewed_since": reviewed_since,
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
