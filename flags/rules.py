"""Trigger rule conditions. Pure: validated parameters and per-client inputs in, a match out.

A match carries the evidence in words and numbers, and one ``measure`` (higher is
worse) so a flag snoozed "until the KPI gets worse" knows when to come back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from clients.models import ContactRole
from core.formats import (
    days_ago,
    days_late,
    format_amount,
    format_days,
    format_every_days,
    format_figure,
    format_money,
    format_percent_change,
    format_period,
)
from core.phrases import Phrase, phrase, phrase_writer, render_default
from flags.models import RuleKind
from kpis.windows import MIN_COVERAGE, SUM, KpiWindow, MetricMeta, expected_points, frequency_in_words, period_days

KEY_ROLES = ("decision_maker", "sponsor", "champion")


class RuleError(ValueError):
    """The parameters cannot work; the message says which and why."""


# Not frozen: a morning run builds one per client, a back-test one per client and day (3.6 million for a year of
# 10,000 clients), and a frozen dataclass costs three times as much to build. Nothing changes one once built.
@dataclass(slots=True)
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
    # (invoice number, days past its due date, amount as text, currency) of the invoices unpaid on the day
    overdue_invoices: tuple[tuple[str, int, str, str], ...] = ()
    # (title, days since it was sent for signature) of the closing documents still unsigned on the day
    unsigned_closing_documents: tuple[tuple[str, int], ...] = ()
    # (contact's name, score, days before the day) of the NPS answers received on or before the day, within a year
    nps_answers: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class Match:
    said: Phrase  # the evidence as a phrase (core.phrases): shown in each reader's language
    measure: float
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def evidence(self) -> str:
        """The evidence in the product's default language (stored beside the phrase)."""
        return render_default(self.said)

    @property
    def stored_data(self) -> dict[str, Any]:
        """What a flag keeps of the match: its figures and the phrase of its evidence (``data["said"]``)."""
        return {**self.data, "said": self.said}


def _number(params: Mapping[str, Any], name: str, *, low: float, high: float, default: Any = None) -> float:
    value = params.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise RuleError(_("'%(name)s' must be a number.") % {"name": name}) from exc
    if not low <= number <= high:
        raise RuleError(
            _("'%(name)s' must be between %(low)s and %(high)s.")
            % {"name": name, "low": f"{low:g}", "high": f"{high:g}"}
        )
    return number


def _days(params: Mapping[str, Any], name: str, *, default: int, low: int = 1, high: int = 365) -> int:
    number = _number(params, name, low=low, high=high, default=default)
    if number != int(number):
        raise RuleError(_("'%(name)s' must be a whole number of days.") % {"name": name})
    return int(number)


def validate(kind: str, params: Mapping[str, Any], metrics: Mapping[str, MetricMeta]) -> dict[str, Any]:
    """Check and normalise parameters for ``kind``; raise RuleError with a message a lead can act on."""
    if kind not in RuleKind.values:
        raise RuleError(_("Unknown rule kind %(kind)r.") % {"kind": kind})
    params = dict(params or {})

    def metric() -> str:
        key = str(params.get("metric") or "")
        if key not in metrics:
            raise RuleError(
                _("Choose a KPI; %(key)r is not one.") % {"key": key} if key else _("Choose the KPI to watch.")
            )
        return key

    if kind == "kpi_drop":
        recent = _days(params, "recent_days", default=7, high=90)
        baseline = _days(params, "baseline_days", default=28)
        if baseline < recent:
            raise RuleError(_("The baseline period must be at least as long as the recent one."))
        return {
            "metric": metric(),
            "drop_pct": _number(params, "drop_pct", low=1, high=100, default=30),
            "recent_days": recent,
            "baseline_days": baseline,
        }
    if kind == "kpi_threshold":
        direction = params.get("direction", "below")
        if direction not in {"below", "above"}:
            raise RuleError(_("'direction' must be 'below' or 'above'."))
        return {
            "metric": metric(),
            "direction": direction,
            "threshold": _number(params, "threshold", low=-1e12, high=1e12),
            "window_days": _days(params, "window_days", default=7, high=90),
        }
    if kind == "no_contact":
        mode = params.get("mode", "cadence")
        if mode not in {"days", "cadence"}:
            raise RuleError(_("'mode' must be 'days' or 'cadence'."))
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
    if kind == "invoice_overdue":
        return {"min_days": _days(params, "min_days", default=7, low=0, high=365)}
    if kind == "closing_documents_unsigned":
        return {"days": _days(params, "days", default=30, low=1, high=365)}
    if kind == "survey_detractor":
        score = _number(params, "max_score", low=0, high=9, default=6)
        if score != int(score):
            raise RuleError(_("'%(name)s' must be a whole number.") % {"name": "max_score"})
        return {"max_score": int(score), "days": _days(params, "days", default=30, low=1, high=365)}
    if kind == "data_stopped":
        watched = str(params.get("metric") or "")
        if watched and watched not in metrics:
            raise RuleError(_("Choose a KPI; %(key)r is not one.") % {"key": watched})
        return {"metric": watched, "late_days": _days(params, "late_days", default=7, low=0, high=180)}
    roles = params.get("roles") or list(KEY_ROLES)
    if (
        not isinstance(roles, list | tuple)
        or not roles
        or any(r not in {*KEY_ROLES, "user", "blocker", "other"} for r in roles)
    ):
        raise RuleError(_("'roles' must list contact roles such as decision_maker, sponsor, champion."))
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


def needs_billing(kind: str) -> bool:
    """Does the rule read invoices and closing documents (RuleInputs.overdue_invoices, unsigned_closing_documents)?"""
    return kind in {"invoice_overdue", "closing_documents_unsigned"}


def needs_survey_answers(kind: str) -> bool:
    """Does the rule read the clients' NPS answers (RuleInputs.nps_answers)?"""
    return kind == "survey_detractor"


def needs_health_scores(kind: str) -> bool:
    """Does the rule read the health scores (RuleInputs.score_today, scores_before)?"""
    return kind in {"health_below", "health_drop"}


def needs_contacts(kind: str) -> bool:
    """Does the rule read the last contact (RuleInputs.days_since_contact, cadence_days)?"""
    return kind == "no_contact"


def needs_commitments(kind: str) -> bool:
    """Does the rule read the commitments (RuleInputs.overdue_commitments)?"""
    return kind == "commitment_overdue"


def needs_reviews(kind: str) -> bool:
    """Does the rule read the renewal date and the reviews (RuleInputs.days_to_renewal, reviewed_this_quarter)?"""
    return kind == "renewal_no_review"


def needs_stakeholders(kind: str) -> bool:
    """Does the rule read the stakeholders who left (RuleInputs.stakeholders_left)?"""
    return kind == "stakeholder_left"


def health_lookbacks(kind: str, params: Mapping[str, Any]) -> set[int]:
    return {params["days"]} if kind == "health_drop" else set()


def _list_text(items: list[str], *, more: int = 0) -> str:
    # Translators: what separates the items of a list inside a flag's evidence.
    text = pgettext("list separator", "; ").join(items)
    if more:
        return ngettext("%(list)s and %(count)d more", "%(list)s and %(count)d more", more) % {
            "list": text,
            "count": more,
        }
    return text


def _role_text(role: str) -> str:
    try:
        return str(ContactRole(role).label)
    except ValueError:
        return role.replace("_", " ")


@phrase_writer("flags.kpi_drop")
def _say_kpi_drop(p: Mapping[str, Any]) -> str:
    values = {
        "kpi": p["kpi"],
        "days": format_days(p["days"]),
        "recent": format_figure(p["recent"]),
        "expected": format_figure(p["expected"]),
        "period": format_period(p["baseline_days"]),
        "change": format_percent_change(p["change"]),
    }
    if p.get("lower_is_better"):
        # Translators: e.g. "Support incidents 7 days: 14 vs 9 average of the previous 4 weeks, +56% (lower is better)"
        text = _(
            "%(kpi)s %(days)s: %(recent)s vs %(expected)s average of the previous %(period)s, %(change)s "
            "(lower is better)"
        )
    else:
        # Translators: e.g. "Orders 7 days: 31 vs 52 average of the previous 4 weeks, -40%"
        text = _("%(kpi)s %(days)s: %(recent)s vs %(expected)s average of the previous %(period)s, %(change)s")
    text %= values
    if p.get("received") is not None:
        received = ngettext(
            "(%(received)d of %(expected)d expected value received)",
            "(%(received)d of %(expected)d expected values received)",
            p["expected_count"],
        ) % {"received": p["received"], "expected": p["expected_count"]}
        text = f"{text} {received}"
    return text


@phrase_writer("flags.kpi_threshold")
def _say_kpi_threshold(p: Mapping[str, Any]) -> str:
    measure = {
        "sum": pgettext("kpi aggregation", "total"),
        "mean": pgettext("kpi aggregation", "average"),
        "last": pgettext("kpi aggregation", "latest"),
    }[p["aggregation"]]
    values = {
        "kpi": p["kpi"],
        "measure": measure,
        "days": format_days(p["days"]),
        "value": format_figure(p["value"], p.get("unit", "")),
        "threshold": format_figure(p["threshold"], p.get("unit", "")),
    }
    if p["direction"] == "below":
        # Translators: e.g. "Orders total over 7 days: 12, below the threshold of 20"
        return _("%(kpi)s %(measure)s over %(days)s: %(value)s, below the threshold of %(threshold)s") % values
    return _("%(kpi)s %(measure)s over %(days)s: %(value)s, above the threshold of %(threshold)s") % values


@phrase_writer("flags.no_contact")
def _say_no_contact(p: Mapping[str, Any]) -> str:
    if p["mode"] == "days":
        reason = ngettext("no contact for %(count)d+ day", "no contact for %(count)d+ days", p["limit"]) % {
            "count": p["limit"]
        }
    else:
        # Translators: the cadence is e.g. "every 14 days".
        reason = _("agreed cadence: %(cadence)s") % {"cadence": format_every_days(p["cadence"])}
    if p["days"] is None:
        # Translators: the reason in brackets is e.g. "agreed cadence: every 14 days".
        return _("Never contacted (%(reason)s)") % {"reason": reason}
    return ngettext(
        "Last contact %(count)d day ago (%(reason)s)", "Last contact %(count)d days ago (%(reason)s)", p["days"]
    ) % {"count": p["days"], "reason": reason}


@phrase_writer("flags.health_below")
def _say_health_below(p: Mapping[str, Any]) -> str:
    return _("Health score %(score)s, below %(threshold)s") % {
        "score": format_amount(p["score"]),
        "threshold": format_amount(p["threshold"]),
    }


@phrase_writer("flags.health_drop")
def _say_health_drop(p: Mapping[str, Any]) -> str:
    drop = round(p["drop"])
    return ngettext(
        "Health %(score)s, down %(drop)s point from %(before)s %(ago)s",
        "Health %(score)s, down %(drop)s points from %(before)s %(ago)s",
        drop,
    ) % {
        "score": format_amount(p["score"]),
        "drop": format_amount(p["drop"]),
        "before": format_amount(p["before"]),
        "ago": days_ago(p["days"]),
    }


@phrase_writer("flags.commitment_overdue")
def _say_commitment_overdue(p: Mapping[str, Any]) -> str:
    items = [_("“%(title)s” %(late)s") % {"title": title, "late": days_late(days)} for title, days in p["shown"]]
    shown = _list_text(items, more=p["count"] - len(items))
    return ngettext("%(count)d commitment overdue: %(list)s", "%(count)d commitments overdue: %(list)s", p["count"]) % {
        "count": p["count"],
        "list": shown,
    }


@phrase_writer("flags.renewal_no_review")
def _say_renewal_no_review(p: Mapping[str, Any]) -> str:
    return ngettext(
        "Renewal in %(count)d day and no account review held this quarter",
        "Renewal in %(count)d days and no account review held this quarter",
        p["days"],
    ) % {"count": p["days"]}


@phrase_writer("flags.stakeholder_left")
def _say_stakeholder_left(p: Mapping[str, Any]) -> str:
    people = [
        # Translators: e.g. "Anna Petrova (Decision maker, left 5 days ago)"
        _("%(name)s (%(role)s, left %(ago)s)") % {"name": name, "role": _role_text(role), "ago": days_ago(days)}
        for name, role, days in p["people"]
    ]
    return _("Key stakeholder left: %(people)s") % {"people": pgettext("list separator", ", ").join(people)}


@phrase_writer("flags.data_stopped")
def _say_data_stopped(p: Mapping[str, Any]) -> str:
    values = {"kpi": p["kpi"], "days": format_days(p["days"]), "frequency": frequency_in_words(p["frequency"])}
    if p["count"] == 1:
        # Translators: e.g. "No Orders value for 12 days (expected Daily)"
        return _("No %(kpi)s value for %(days)s (expected %(frequency)s)") % values
    values["count"] = p["count"]
    return (
        ngettext(
            "None of %(count)d KPI arrived for %(days)s (the latest: %(kpi)s, expected %(frequency)s)",
            "None of %(count)d KPIs arrived for %(days)s (the latest: %(kpi)s, expected %(frequency)s)",
            p["count"],
        )
        % values
    )


@phrase_writer("flags.invoice_overdue")
def _say_invoice_overdue(p: Mapping[str, Any]) -> str:
    items = [
        # Translators: one overdue invoice, e.g. "INV-2026-014, 12,500 EUR, 20 days late"
        _("%(number)s, %(amount)s, %(late)s")
        % {"number": number, "amount": format_money(amount, currency), "late": days_late(days)}
        for number, days, amount, currency in p["shown"]
    ]
    shown = _list_text(items, more=p["count"] - len(items))
    return ngettext("%(count)d invoice overdue: %(list)s", "%(count)d invoices overdue: %(list)s", p["count"]) % {
        "count": p["count"],
        "list": shown,
    }


@phrase_writer("flags.closing_documents_unsigned")
def _say_closing_documents_unsigned(p: Mapping[str, Any]) -> str:
    items = [
        # Translators: one closing document (act) waiting for the client's signature, e.g. "“Act for March” 34 days"
        _("“%(title)s” %(days)s") % {"title": title, "days": format_days(days)}
        for title, days in p["shown"]
    ]
    shown = _list_text(items, more=p["count"] - len(items))
    return ngettext(
        "%(count)d closing document waits for the client's signature: %(list)s",
        "%(count)d closing documents wait for the client's signature: %(list)s",
        p["count"],
    ) % {"count": p["count"], "list": shown}


@phrase_writer("flags.survey_detractor")
def _say_survey_detractor(p: Mapping[str, Any]) -> str:
    items = [
        # Translators: one NPS answer, e.g. "Anna Petrova gave 3 of 10, 2 days ago"
        _("%(name)s gave %(score)d of 10, %(ago)s") % {"name": name, "score": score, "ago": days_ago(days)}
        for name, score, days in p["shown"]
    ]
    shown = _list_text(items, more=p["count"] - len(items))
    return ngettext(
        "%(count)d detractor in the NPS survey: %(list)s",
        "%(count)d detractors in the NPS survey: %(list)s",
        p["count"],
    ) % {"count": p["count"], "list": shown}


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
    expected_count = expected_points(n, info.frequency)
    said = phrase(
        "flags.kpi_drop",
        kpi=info.name,
        days=n,
        recent=recent,
        expected=expected,
        baseline_days=m,
        change=change,
        lower_is_better=not info.higher_is_better,
        received=window.recent_count if window.recent_count < expected_count else None,
        expected_count=expected_count,
    )
    return Match(said, round(worse * 100, 2), {"recent": recent, "expected": expected, "change": change})


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
    said = phrase(
        "flags.kpi_threshold",
        kpi=info.name,
        aggregation=info.aggregation,
        days=p["window_days"],
        value=value,
        threshold=threshold,
        unit=info.unit,
        direction=p["direction"],
    )
    return Match(said, round(abs(value - threshold), 2), {"value": value, "threshold": threshold})


def _no_contact(p, inputs: RuleInputs, metrics) -> Match | None:
    days = inputs.days_since_contact
    limit = p["days"] if p["mode"] == "days" else inputs.cadence_days + p["grace_days"]
    if days is not None and days <= limit:
        return None
    said = phrase("flags.no_contact", mode=p["mode"], days=days, limit=limit, cadence=inputs.cadence_days)
    measure = 9999.0 if days is None else float(days)
    return Match(said, measure, {"days_since_contact": days, "limit": limit})


def _health_below(p, inputs: RuleInputs, metrics) -> Match | None:
    score = inputs.score_today
    if score is None or score >= p["threshold"]:
        return None
    said = phrase("flags.health_below", score=score, threshold=p["threshold"])
    return Match(said, round(p["threshold"] - score, 1), {"score": score})


def _health_drop(p, inputs: RuleInputs, metrics) -> Match | None:
    before = inputs.scores_before.get(p["days"])
    if inputs.score_today is None or before is None:
        return None
    drop = before - inputs.score_today
    if drop < p["points"]:
        return None
    said = phrase("flags.health_drop", score=inputs.score_today, drop=drop, before=before, days=p["days"])
    return Match(said, round(drop, 1), {"score": inputs.score_today, "before": before})


def _commitment_overdue(p, inputs: RuleInputs, metrics) -> Match | None:
    late = [(title, days) for title, days in inputs.overdue_commitments if days > p["min_days"]]
    if not late:
        return None
    late.sort(key=lambda item: -item[1])
    said = phrase("flags.commitment_overdue", count=len(late), shown=[list(item) for item in late[:3]])
    return Match(said, float(late[0][1]), {"count": len(late)})


def _renewal_no_review(p, inputs: RuleInputs, metrics) -> Match | None:
    days = inputs.days_to_renewal
    if days is None or days < 0 or days > p["days"] or inputs.reviewed_this_quarter:
        return None
    return Match(phrase("flags.renewal_no_review", days=days), float(p["days"] - days), {"days_to_renewal": days})


def _stakeholder_left(p, inputs: RuleInputs, metrics) -> Match | None:
    gone = [
        (name, role, days)
        for name, role, days in inputs.stakeholders_left
        if role in p["roles"] and days <= p["within_days"]
    ]
    if not gone:
        return None
    said = phrase("flags.stakeholder_left", people=[list(item) for item in gone])
    return Match(said, float(len(gone)), {"count": len(gone)})


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
    said = phrase("flags.data_stopped", count=len(seen), kpi=info.name, days=seen[freshest], frequency=info.frequency)
    return Match(said, float(late[freshest]), {"days_since": seen[freshest], "metric": freshest})


def _invoice_overdue(p, inputs: RuleInputs, metrics) -> Match | None:
    """Invoices past their due date and not paid by the day, by more than ``min_days``."""
    late = [item for item in inputs.overdue_invoices if item[1] > p["min_days"]]
    if not late:
        return None
    late.sort(key=lambda item: (-item[1], item[0]))
    said = phrase("flags.invoice_overdue", count=len(late), shown=[list(item) for item in late[:3]])
    return Match(said, float(late[0][1]), {"count": len(late), "oldest_days": late[0][1]})


def _closing_documents_unsigned(p, inputs: RuleInputs, metrics) -> Match | None:
    """Closing documents (acts) sent for the client's signature more than ``days`` days ago and not signed by then."""
    waiting = [item for item in inputs.unsigned_closing_documents if item[1] > p["days"]]
    if not waiting:
        return None
    waiting.sort(key=lambda item: (-item[1], item[0]))
    said = phrase("flags.closing_documents_unsigned", count=len(waiting), shown=[list(item) for item in waiting[:3]])
    return Match(said, float(waiting[0][1]), {"count": len(waiting), "oldest_days": waiting[0][1]})


def _survey_detractor(p, inputs: RuleInputs, metrics) -> Match | None:
    """NPS answers of ``max_score`` or less received in the ``days`` days up to the day (the day itself included)."""
    low = [item for item in inputs.nps_answers if item[1] <= p["max_score"] and item[2] < p["days"]]
    if not low:
        return None
    low.sort(key=lambda item: (item[1], item[2], item[0]))
    said = phrase("flags.survey_detractor", count=len(low), shown=[list(item) for item in low[:3]])
    # Worse: a lower score (10 - score), then more detractors.
    return Match(said, float(10 - low[0][1]) + len(low) / 100, {"count": len(low), "lowest": low[0][1]})


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
    "invoice_overdue": _invoice_overdue,
    "closing_documents_unsigned": _closing_documents_unsigned,
    "survey_detractor": _survey_detractor,
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
