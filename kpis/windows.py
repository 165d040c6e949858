"""KPI windows and metric metadata as plain values: what the pure formulas (health scoring, trigger rules,
review snapshots) read about KPIs. No database here; ``kpis.selectors.kpi_windows`` fills them.

A window compares a *recent* stretch of days with a *baseline* stretch before it. Its values honour the
metric's aggregation: a sum over the days, their mean, or the last value in the stretch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import pgettext_lazy

SUM, MEAN, LAST = "sum", "mean", "last"  # the values of kpis.models.Aggregation, kept here so this stays pure

# Days between two expected values, by kpis.models.Frequency (kept here so this stays pure).
PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 30, "quarterly": 91}
# A stretch with fewer than this share of its expected values is "mostly empty": formulas read it as missing.
MIN_COVERAGE = 0.5
# How far back "when did this KPI last arrive" looks; a KPI silent for longer counts as one the client does not
# report (health's data freshness and the "data stopped arriving" rule read the same).
FRESHNESS_LOOKBACK_DAYS = 200


def period_days(frequency: str) -> int:
    return PERIOD_DAYS.get(frequency, 1)


def expected_points(days: int, frequency: str) -> int:
    """How many values a stretch of ``days`` holds when the backend sends on schedule: at least one.

    Rounded down, so a monthly KPI's one value in a 28-day stretch, or three in 90 days, is full coverage.
    """
    if days <= 0:
        return 0
    return max(1, days // period_days(frequency))


def coverage(count: int, days: int, frequency: str) -> float:
    """Share (0-1) of a stretch's expected values that are present; extra values never push it above 1."""
    expected = expected_points(days, frequency)
    return min(1.0, count / expected) if expected else 0.0


@dataclass(frozen=True)
class MetricMeta:
    """What a formula needs to know about a KPI to read and explain its values."""

    key: str
    name: str
    unit: str
    higher_is_better: bool
    aggregation: str  # sum / mean / last
    frequency: str = "daily"  # daily / weekly / monthly / quarterly: how often a value is expected
    min_value: float | None = None  # the valid range ingestion enforces
    max_value: float | None = None


@dataclass(frozen=True)
class WindowSpan:
    """The two stretches of days a window compares, both inclusive; the baseline lies before the recent one.

    An empty baseline (start after end) is allowed: a threshold rule reads only the recent stretch.
    """

    recent_start: dt.date
    recent_end: dt.date
    baseline_start: dt.date
    baseline_end: dt.date

    @classmethod
    def ending(cls, on_date: dt.date, *, recent_days: int, baseline_days: int) -> WindowSpan:
        """The ``recent_days`` up to and including ``on_date`` and the ``baseline_days`` just before them."""
        baseline_end = on_date - dt.timedelta(days=recent_days)
        return cls(
            recent_start=baseline_end + dt.timedelta(days=1),
            recent_end=on_date,
            baseline_start=baseline_end - dt.timedelta(days=baseline_days - 1),
            baseline_end=baseline_end,
        )

    @property
    def recent_days(self) -> int:
        return max(0, (self.recent_end - self.recent_start).days + 1)

    @property
    def baseline_days(self) -> int:
        return max(0, (self.baseline_end - self.baseline_start).days + 1)


@dataclass(frozen=True)
class KpiWindow:
    """One metric of one client over a span: the aggregated value of each stretch and its days with data."""

    metric: str
    recent_days: int  # the length of the recent stretch, in days
    baseline_days: int
    recent_value: float | None  # sum, mean or last value, as the metric aggregates
    baseline_value: float | None
    recent_count: int = 0  # days of the recent stretch that have a value
    baseline_count: int = 0

    def recent_coverage(self, frequency: str) -> float:
        return coverage(self.recent_count, self.recent_days, frequency)

    def baseline_coverage(self, frequency: str) -> float:
        return coverage(self.baseline_count, self.baseline_days, frequency)

    @property
    def key(self) -> tuple[str, int, int]:
        """How formulas look a window up: (metric, recent days, baseline days)."""
        return (self.metric, self.recent_days, self.baseline_days)


# How often a KPI is expected, as it reads inside a sentence ("expected daily"); Frequency's labels are for forms.
FREQUENCY_IN_WORDS = {
    "daily": pgettext_lazy("expected frequency", "daily"),
    "weekly": pgettext_lazy("expected frequency", "weekly"),
    "monthly": pgettext_lazy("expected frequency", "monthly"),
    "quarterly": pgettext_lazy("expected frequency", "quarterly"),
}


def frequency_in_words(frequency: str) -> str:
    """How often a KPI is expected, inside a sentence, in the active language."""
    return str(FREQUENCY_IN_WORDS.get(frequency, frequency))
