"""Pure pieces of a review snapshot: KPI trends and commitment outcomes. No database.

``reviews.selectors.review_snapshot`` gathers the numbers with set-based queries and
uses these to turn them into the frozen JSON that a prepared review keeps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import pgettext_lazy

SNAPSHOT_FORMAT = 1
# A change smaller than this (relative) is shown as flat: noise, not a trend.
FLAT_BELOW = 0.02


@dataclass(frozen=True)
class KpiFigures:
    key: str
    name: str
    unit: str
    higher_is_better: bool
    aggregation: str
    current: float | None
    previous: float | None
    current_days: int  # days with a value
    previous_days: int


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    return round(value, 2)


def kpi_row(figures: KpiFigures) -> dict[str, Any]:
    """One line of the KPI table: this quarter, the previous one, the change and whether it is good news."""
    current, previous = figures.current, figures.previous
    change_pct: float | None = None
    if current is None and previous is None:
        trend = "none"
    elif current is None:
        trend = "gone"
    elif previous is None or previous == 0:
        trend = "flat" if (previous == 0 and current == 0) else "new"
    else:
        relative = (current - previous) / abs(previous)
        change_pct = round(relative * 100, 1)
        trend = "flat" if abs(relative) < FLAT_BELOW else ("up" if relative > 0 else "down")
    if trend in {"up", "down"}:
        good = (trend == "up") == figures.higher_is_better
        verdict = "better" if good else "worse"
    elif trend == "flat":
        verdict = "same"
    else:
        verdict = ""
    return {
        "key": figures.key,
        "name": figures.name,
        "unit": figures.unit,
        "higher_is_better": figures.higher_is_better,
        "aggregation": figures.aggregation,
        "current": _round(current),
        "previous": _round(previous),
        "change_pct": change_pct,
        "trend": trend,
        "verdict": verdict,
        "current_days": figures.current_days,
        "previous_days": figures.previous_days,
    }


TREND_ARROWS = {
    "up": "▲",
    "down": "▼",
    "flat": "▶",
    "new": pgettext_lazy("KPI trend", "new"),
    "gone": pgettext_lazy("KPI trend", "no data"),
    "none": "",
}


def commitment_outcome(*, status: str, client_date: dt.date, completed_on: dt.date | None, as_of: dt.date) -> str:
    """kept (on time), kept_late, overdue, open (not yet due) or cancelled: as it stood on ``as_of``."""
    if status == "cancelled":
        return "cancelled"
    if status == "done" and completed_on is not None and completed_on <= as_of:
        return "kept" if completed_on <= client_date else "kept_late"
    return "overdue" if client_date < as_of else "open"


COMMITMENT_OUTCOMES = {
    "kept": pgettext_lazy("commitment outcome", "Kept"),
    "kept_late": pgettext_lazy("commitment outcome", "Kept late"),
    "overdue": pgettext_lazy("commitment outcome", "Overdue"),
    "open": pgettext_lazy("commitment outcome", "Open"),
    "cancelled": pgettext_lazy("commitment outcome", "Cancelled"),
}


def commitment_counts(items: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(COMMITMENT_OUTCOMES, 0)
    for item in items:
        counts[item["outcome"]] += 1
    return counts


def health_change(start: dict | None, end: dict | None) -> float | None:
    if not start or not end:
        return None
    return round(end["score"] - start["score"], 1)
