"""Trigger rule conditions. Pure: validated parameters and per-client inputs in, a match out.

A match carries the evidence in words and numbers, and one ``measure`` (higher is
worse) so a flag snoozed "until the KPI gets worse" knows when to come back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kpis.windows import MIN_COVERAGE, SUM, KpiWindow, MetricMeta, expected_points, period_days

KINDS = {
    "kpi_drop": "KPI dropped by X%",
    "kpi_threshold": "KPI crossed a threshold",
    "no_contact": "No contact for N days / beyond cadence",
    "health_below": "Health score below X",
    "health_drop": "Health dropped by X points in N days",
    "commitment_overdue": "Commitment overdue",
    "renewal_no_review": "Renewal within N days, no review this quarter",
    "stakeholder_left": "Key stakeholder left",
    "data_stopped": "KPI data stopped arriving",
}
KEY_ROLES = ("decision_maker", "sponsor", "champion")


class RuleError(ValueError):
    """The parameters cannot work; the message says which and why."""


@dataclass(frozen=True)
class RuleInputs:
    client_id: int
    segment: str = ""
    team_id: int | None = None
    windows: Mapping[tuple[str, int, int], KpiWindow] = field(default_factory=dict)  # by KpiWindow.key
    days_since_contact: int | None = None
    cadence_days: int = 30
    score_today: float | None = None
    scores_before: Mapping[int, float] = field(default_factory=dict)  # days ago -> score
    overdue_commitments: tuple[tuple[str, int], ...] = ()  # (title, days overdue)
    days_to_renewal: int | None = None
    reviewed_this_quarter: bool = False
    stakeholders_left: tuple[tuple[str, str, int], ...] = ()  # (name, role, days since left)
    # metric key -> days since its last value, for the KPIs the client reported within FRESHNESS_LOOKBACK_DAYS
    kpi_last_seen: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    evidence: str
    measure: float
    data: dict[str, Any] = field(default_factory=dict)


def _number(params: Mapping[str, Any], name: str, *, low: float, high: float, default: Any = None) -> float:
    value = params.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise RuleError(f"'{name}' must be a number.") from exc
    if not low <= number <= high:
        raise RuleError(f"'{name}' must be between {low:g} and {high:g}.")
    return number


def _days(params: Mapping[str, Any], name: str, *, default: int, low: int = 1, high: int = 365) -> int:
    number = _number(params, name, low=low, high=high, default=default)
    if number != int(number):
        raise RuleError(f"'{name}' must be a whole number of days.")
    return int(number)


def validate(kind: str, params: Mapping[str, Any], metrics: Mapping[str, MetricMeta]) -> dict[str, Any]:
    """Check and normalise parameters for ``kind``; raise RuleError with a message a lead can act on."""
    if kind not in KINDS:
        raise RuleError(f"Unknown rule kind {kind!r}.")
    params = dict(params or {})

    def metric() -> str:
        key = str(params.get("metric") or "")
        if key not in metrics:
            raise RuleError(f"Choose a KPI; {key!r} is not one." if key else "Choose the KPI to watch.")
        return key

    if kind == "kpi_drop":
        recent = _days(params, "recent_days", default=7, high=90)
        baseline = _days(params, "baseline_days", default=28)
        if baseline < recent:
            raise RuleError("The baseline period must be at least as long as the recent one.")
        return {
            "metric": metric(),
            "drop_pct": _number(params, "drop_pct", low=1, high=100, default=30),
            "recent_days": recent,
            "baseline_days": baseline,
        }
    if kind == "kpi_threshold":
        direction = params.get("direction", "below")
        if direction not in {"below", "above"}:
            raise RuleError("'direction' must be 'below' or 'above'.")
        return {
            "metric": metric(),
            "direction": direction,
            "threshold": _number(params, "threshold", low=-1e12, high=1e12),
            "window_days": _days(params, "window_days", default=7, high=90),
        }
    if kind == "no_contact":
        mode = params.get("mode", "cadence")
        if mode not in {"days", "cadence"}:
            raise RuleError("'mode' must be 'days' or 'cadence'.")
        if mode == "days":
            return {"mode": mode, "days": _days(params, "days", default=30)}
        return {"mode": mode, "grace_days": _days(params, "grace_days", default=0, low=0, high=90)}
    if kind == "health_below":
        return {"threshold": _number(params, "threshold", low=1, high=100, default=40)}
    if kind == "health_drop":
        return {
            "points": _number(params, "points", low=1, high=100, default=15),
            "days": _days(params, "days", default=14, high=90),
        }
    if kind == "commitment_overdue":
        return {"min_days": _days(params, "min_days", default=0, low=0, high=90)}
    if kind == "renewal_no_review":
        return {"days": _days(params, "days", default=60)}
    if kind == "data_stopped":
        watched = str(params.get("metric") or "")
        if watched and watched not in metrics:
            raise RuleError(f"Choose a KPI; {watched!r} is not one.")
        return {"metric": watched, "late_days": _days(params, "late_days", default=7, low=0, high=180)}
    roles = params.get("roles") or list(KEY_ROLES)
    if (
        not isinstance(roles, list | tuple)
        or not roles
        or any(r not in {*KEY_ROLES, "user", "blocker", "other"} for r in roles)
    ):
        raise RuleError("'roles' must list contact roles such as decision_maker, sponsor, champion.")
    return {"roles": list(roles), "within_days": _days(params, "within_days", default=30)}


def windows_needed(kind: str, params: Mapping[str, Any]) -> set[tuple[str, int, int]]:
    if kind == "kpi_drop":
        return {(params["metric"], params["recent_days"], params["baseline_days"])}
    if kind == "kpi_threshold":
        return {(params["metric"], params["window_days"], 0)}
    return set()


def needs_freshness(kind: str) -> bool:
    """Does the rule read when each KPI last arrived (RuleInputs.kpi_last_seen)?"""
    return kind == "data_stopped"


def needs_health_scores(kind: str) -> bool:
    """Does the rule read the health scores (RuleInputs.score_today, scores_before)?"""
    return kind in {"health_below", "health_drop"}


def health_lookbacks(kind: str, params: Mapping[str, Any]) -> set[int]:
    return {params["days"]} if kind == "health_drop" else set()


def _fmt(value: float, unit: str = "") -> str:
    text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}".strip()


def _weeks(days: int) -> str:
    return f"{days // 7} weeks" if days % 7 == 0 and days >= 14 else f"{days} days"


def _kpi_drop(p, inputs: RuleInputs, metrics) -> Match | None:
    info = metrics[p["metric"]]
    n, m = p["recent_days"], p["baseline_days"]
    window = inputs.windows.get((info.key, n, m))
    if window is None or not window.recent_count or not window.baseline_count or not window.baseline_value:
        return None
    if min(window.recent_coverage(info.frequency), window.baseline_coverage(info.frequency)) < MIN_COVERAGE:
        return None  # a mostly empty stretch says nothing about a drop (a data gap is not a fall)
    recent = window.recent_value or 0.0
    # A summed KPI: the baseline scaled to the values the recent window received ("average of the previous 4
    # weeks"; with every value present, the same as scaling by the days); a mean or a last value compares as it is.
    expected = (
        window.baseline_value / window.baseline_count * window.recent_count
        if info.aggregation == SUM
        else window.baseline_value
    )
    if expected == 0:
        return None
    change = (recent - expected) / abs(expected)
    worse = -change if info.higher_is_better else change
    if worse * 100 < p["drop_pct"]:
        return None
    verb = "" if info.higher_is_better else " (lower is better)"
    evidence = (
        f"{info.name} {n} days: {_fmt(recent)} vs {_fmt(expected)} average of the previous {_weeks(m)}, "
        f"{change:+.0%}{verb}"
    )
    if window.recent_count < expected_points(n, info.frequency):
        evidence += f" ({window.recent_count} of {expected_points(n, info.frequency)} expected values received)"
    return Match(evidence, round(worse * 100, 2), {"recent": recent, "expected": expected, "change": change})


def _kpi_threshold(p, inputs: RuleInputs, metrics) -> Match | None:
    info = metrics[p["metric"]]
    window = inputs.windows.get((info.key, p["window_days"], 0))
    if window is None or not window.recent_count:
        return None
    value = window.recent_value
    if value is None:
        return None
    threshold = p["threshold"]
    crossed = value < threshold if p["direction"] == "below" else value > threshold
    if not crossed:
        return None
    label = {"sum": "total", "mean": "average", "last": "latest"}[info.aggregation]
    evidence = (
        f"{info.name} {label} over {p['window_days']} days: {_fmt(value, info.unit)}, "
        f"{p['direction']} the threshold of {_fmt(threshold, info.unit)}"
    )
    return Match(evidence, round(abs(value - threshold), 2), {"value": value, "threshold": threshold})


def _no_contact(p, inputs: RuleInputs, metrics) -> Match | None:
    days = inputs.days_since_contact
    if p["mode"] == "days":
        limit = p["days"]
        reason = f"no contact for {limit}+ days"
    else:
        limit = inputs.cadence_days + p["grace_days"]
        reason = f"agreed cadence: every {inputs.cadence_days} days"
    if days is not None and days <= limit:
        return None
    if days is None:
        return Match(f"Never contacted ({reason})", 9999.0, {"days_since_contact": None, "limit": limit})
    return Match(f"Last contact {days} days ago ({reason})", float(days), {"days_since_contact": days, "limit": limit})


def _health_below(p, inputs: RuleInputs, metrics) -> Match | None:
    score = inputs.score_today
    if score is None or score >= p["threshold"]:
        return None
    return Match(
        f"Health score {score:.0f}, below {p['threshold']:.0f}", round(p["threshold"] - score, 1), {"score": score}
    )


def _health_drop(p, inputs: RuleInputs, metrics) -> Match | None:
    before = inputs.scores_before.get(p["days"])
    if inputs.score_today is None or before is None:
        return None
    drop = before - inputs.score_today
    if drop < p["points"]:
        return None
    evidence = f"Health {inputs.score_today:.0f}, down {drop:.0f} points from {before:.0f} {p['days']} days ago"
    return Match(evidence, round(drop, 1), {"score": inputs.score_today, "before": before})


def _commitment_overdue(p, inputs: RuleInputs, metrics) -> Match | None:
    late = [(title, days) for title, days in inputs.overdue_commitments if days > p["min_days"]]
    if not late:
        return None
    late.sort(key=lambda item: -item[1])
    shown = "; ".join(f"“{title}” {days} days late" for title, days in late[:3])
    more = f" and {len(late) - 3} more" if len(late) > 3 else ""
    return Match(
        f"{len(late)} commitment{'s' if len(late) > 1 else ''} overdue: {shown}{more}",
        float(late[0][1]),
        {"count": len(late)},
    )


def _renewal_no_review(p, inputs: RuleInputs, metrics) -> Match | None:
    days = inputs.days_to_renewal
    if days is None or days < 0 or days > p["days"] or inputs.reviewed_this_quarter:
        return None
    return Match(
        f"Renewal in {days} days and no account review held this quarter",
        float(p["days"] - days),
        {"days_to_renewal": days},
    )


def _stakeholder_left(p, inputs: RuleInputs, metrics) -> Match | None:
    gone = [
        (name, role, days)
        for name, role, days in inputs.stakeholders_left
        if role in p["roles"] and days <= p["within_days"]
    ]
    if not gone:
        return None
    names = ", ".join(f"{name} ({role.replace('_', ' ')}, left {days} days ago)" for name, role, days in gone)
    return Match(f"Key stakeholder left: {names}", float(len(gone)), {"count": len(gone)})


def _data_stopped(p, inputs: RuleInputs, metrics) -> Match | None:
    """The KPIs stopped arriving: every KPI the client reports (or the one chosen) is late by more than
    ``late_days`` beyond its expected frequency. A client that never reported a KPI has nothing that stopped."""
    seen = {key: days for key, days in inputs.kpi_last_seen.items() if key in metrics}
    if p["metric"]:
        seen = {key: days for key, days in seen.items() if key == p["metric"]}
    if not seen:
        return None
    late = {key: days - period_days(metrics[key].frequency) for key, days in seen.items()}
    freshest = min(late, key=lambda key: (late[key], key))
    if late[freshest] <= p["late_days"]:
        return None
    info = metrics[freshest]
    if len(seen) == 1:
        evidence = f"No {info.name} value for {seen[freshest]} days (expected {info.frequency})"
    else:
        evidence = (
            f"None of {len(seen)} KPIs arrived for {seen[freshest]} days "
            f"(the latest: {info.name}, expected {info.frequency})"
        )
    return Match(evidence, float(late[freshest]), {"days_since": seen[freshest], "metric": freshest})


_CONDITIONS: dict[str, Callable[[Mapping[str, Any], RuleInputs, Mapping[str, MetricMeta]], Match | None]] = {
    "kpi_drop": _kpi_drop,
    "kpi_threshold": _kpi_threshold,
    "no_contact": _no_contact,
    "health_below": _health_below,
    "health_drop": _health_drop,
    "commitment_overdue": _commitment_overdue,
    "renewal_no_review": _renewal_no_review,
    "stakeholder_left": _stakeholder_left,
    "data_stopped": _data_stopped,
}


def evaluate(
    kind: str, params: Mapping[str, Any], inputs: RuleInputs, metrics: Mapping[str, MetricMeta]
) -> Match | None:
    """Does the (validated) rule hold for this client today?"""
    return _CONDITIONS[kind](params, inputs, metrics)


def applies_to(*, rule_team_id: int | None, rule_segment: str, inputs: RuleInputs) -> bool:
    if rule_team_id is not None and rule_team_id != inputs.team_id:
        return False
    return not rule_segment or rule_segment == inputs.segment
