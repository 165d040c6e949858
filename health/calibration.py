"""Does the health score order churn risk? Pure: observations in, figures out; no database.

An observation is one client's score on one past day and what happened next: the days from that day to the
client's churn (None: no churn since). For a horizon of N days an observation is a churn when the churn came
within N days, a non-churn when N days have passed without one, and unknown (left out) otherwise: the recent
past cannot yet say who will churn.

The AUC is the chance that a client who churned within the horizon scored lower than one who did not (ties
count half), from the Mann-Whitney rank sum: 0.5 is a coin, 1.0 orders risk perfectly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HORIZONS = (30, 60, 90)
BANDS = ("green", "yellow", "red")


@dataclass(frozen=True)
class Observation:
    score: float
    band: str
    days_to_churn: int | None  # None: the client has not churned since
    days_observed: int  # how many days after the observation are known (today - its day)

    def churned_within(self, days: int) -> bool | None:
        """True / False, or None when the outcome within ``days`` is not known yet."""
        if self.days_to_churn is not None and self.days_to_churn <= days:
            return True
        return False if self.days_observed >= days else None


@dataclass(frozen=True)
class HorizonAuc:
    days: int
    auc: float | None  # None without at least one churn and one non-churn
    churns: int
    observations: int


@dataclass(frozen=True)
class Rate:
    label: str
    observations: int
    churns: int
    low: float | None = None  # deciles: the score range
    high: float | None = None

    @property
    def rate(self) -> float | None:
        return self.churns / self.observations if self.observations else None


@dataclass(frozen=True)
class Calibration:
    aucs: tuple[HorizonAuc, ...]
    bands: tuple[Rate, ...]
    deciles: tuple[Rate, ...]
    rate_horizon: int  # the horizon the band and decile rates count churn within
    observations: int


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing the mean of their ranks."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1
        for index in order[start : end + 1]:
            ranks[index] = mean_rank
        start = end + 1
    return ranks


def auc(churned_scores: Sequence[float], other_scores: Sequence[float]) -> float | None:
    """P(a non-churner scored higher than a churner) + half the ties; None when either group is empty."""
    n_churned, n_other = len(churned_scores), len(other_scores)
    if not n_churned or not n_other:
        return None
    ranks = _ranks([*churned_scores, *other_scores])
    other_rank_sum = sum(ranks[n_churned:])
    u_other = other_rank_sum - n_other * (n_other + 1) / 2
    return u_other / (n_churned * n_other)


def _rate(label: str, items: Sequence[tuple[float, bool]], **bounds) -> Rate:
    return Rate(label, len(items), sum(1 for _, churned in items if churned), **bounds)


def calibrate(
    observations: Iterable[Observation], *, horizons: Sequence[int] = HORIZONS, rate_horizon: int = 90
) -> Calibration:
    observations = list(observations)
    aucs = []
    for days in horizons:
        known = [(o.score, o.churned_within(days)) for o in observations]
        churned = [score for score, outcome in known if outcome is True]
        other = [score for score, outcome in known if outcome is False]
        aucs.append(HorizonAuc(days, auc(churned, other), len(churned), len(churned) + len(other)))
    labelled = [(o, o.churned_within(rate_horizon)) for o in observations]
    labelled = [(o, outcome) for o, outcome in labelled if outcome is not None]
    bands = tuple(_rate(band, [(o.score, outcome) for o, outcome in labelled if o.band == band]) for band in BANDS)
    ordered = sorted(((o.score, outcome) for o, outcome in labelled), key=lambda item: item[0])
    deciles = []
    for index in range(10):
        part = ordered[len(ordered) * index // 10 : len(ordered) * (index + 1) // 10]
        if part:
            deciles.append(_rate(f"{index + 1}", part, low=part[0][0], high=part[-1][0]))
    return Calibration(tuple(aucs), bands, tuple(deciles), rate_horizon, len(observations))
