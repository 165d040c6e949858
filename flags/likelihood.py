"""A renewal's likelihood from the signals. Pure: the facts of one renewal in, a percentage and its factors out.

The product's call, shown beside the AM's forecast so a lead sees where the two disagree. It starts from a
neutral 60% and moves by the health band and its 30-day trend, the open flags (more for severe ones), how
recently the client was contacted against its agreed cadence, and the AM's forecast call. A closed renewal
is its outcome: 100% renewed (or downsold), 0% churned. An open one stays within 5-95%: signals are never
certain. Each factor is a code with its points and parameters, so it reads in each user's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BASE = 60
FLOOR, CEILING = 5, 95
BAND_POINTS = {"green": 15, "yellow": -5, "red": -25}
TREND_FALL, TREND_RISE = -10.0, 5.0  # score points over 30 days
FORECAST_POINTS = {"commit": 10, "best_case": 0, "pipeline": -5, "lost": -40}
STAGE_POINTS = {"at_risk": -10, "committed": 10}


@dataclass(frozen=True)
class LikelihoodInputs:
    stage: str
    forecast_call: str = ""
    band: str | None = None  # the latest health band, None when not scored
    score_change_30d: float | None = None  # the score now minus 30 days ago
    open_flags: int = 0
    severe_flags: int = 0  # high or critical
    days_since_contact: int | None = None  # None: never contacted
    cadence_days: int = 30


@dataclass(frozen=True)
class Factor:
    code: str
    points: int
    params: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"code": self.code, "points": self.points, "params": self.params}


@dataclass(frozen=True)
class Likelihood:
    percent: int
    factors: tuple[Factor, ...]


def renewal_likelihood(inputs: LikelihoodInputs) -> Likelihood:
    if inputs.stage in {"renewed", "downsold"}:
        return Likelihood(100, (Factor("closed_renewed", 0),))
    if inputs.stage == "churned":
        return Likelihood(0, (Factor("closed_churned", 0),))
    factors: list[Factor] = []
    if inputs.band in BAND_POINTS:
        factors.append(Factor(f"band_{inputs.band}", BAND_POINTS[inputs.band]))
    else:
        factors.append(Factor("not_scored", 0))
    change = inputs.score_change_30d
    if change is not None and change <= TREND_FALL:
        factors.append(Factor("health_falling", -10, {"points": round(-change)}))
    elif change is not None and change >= TREND_RISE:
        factors.append(Factor("health_rising", 5, {"points": round(change)}))
    if inputs.open_flags:
        points = -min(20, 5 * inputs.open_flags) - min(10, 5 * inputs.severe_flags)
        factors.append(Factor("open_flags", points, {"count": inputs.open_flags, "severe": inputs.severe_flags}))
    cadence = max(1, inputs.cadence_days)
    if inputs.days_since_contact is None:
        factors.append(Factor("never_contacted", -10))
    elif inputs.days_since_contact > 2 * cadence:
        factors.append(Factor("contact_lapsed", -15, {"days": inputs.days_since_contact, "cadence": cadence}))
    elif inputs.days_since_contact > cadence:
        factors.append(Factor("contact_late", -5, {"days": inputs.days_since_contact, "cadence": cadence}))
    else:
        factors.append(Factor("contact_recent", 5, {"days": inputs.days_since_contact}))
    if FORECAST_POINTS.get(inputs.forecast_call):
        factors.append(Factor(f"forecast_{inputs.forecast_call}", FORECAST_POINTS[inputs.forecast_call]))
    if inputs.stage in STAGE_POINTS:
        factors.append(Factor(f"stage_{inputs.stage}", STAGE_POINTS[inputs.stage]))
    percent = BASE + sum(f.points for f in factors)
    return Likelihood(max(FLOOR, min(CEILING, percent)), tuple(factors))
