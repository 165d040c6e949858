"""The health formula. Pure: dataclasses in, dataclasses out; no database.

Each component turns one kind of evidence into a sub-score from 0 (alarming) to 100
(healthy). Weights are any non-negative numbers and are normalised. A component
whose input is missing is *shown* as missing and counted at the neutral value
(``NEUTRAL``), so a score never quietly changes meaning because data is absent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.phrases import Phrase, phrase, render, render_default
from health import explanations  # noqa: F401  (registers the phrases the components write)
from kpis.windows import (
    FRESHNESS_LOOKBACK_DAYS,
    MIN_COVERAGE,
    SUM,
    KpiWindow,
    MetricMeta,
    expected_points,
    period_days,
)

NEUTRAL = 50.0

KPI_TREND = "kpi_trend"
KPI_LEVEL = "kpi_level"
ENGAGEMENT = "engagement"
COMMITMENTS = "commitments"
REVIEW_RECENCY = "review_recency"
RENEWAL_PROXIMITY = "renewal_proximity"
DATA_FRESHNESS = "data_freshness"
PAYMENTS = "payments"
CLOSING_DOCUMENTS = "closing_documents"

COMPONENT_KINDS = {
    KPI_TREND: _("KPI trend"),
    KPI_LEVEL: _("KPI level"),
    ENGAGEMENT: _("Engagement"),
    COMMITMENTS: _("Commitments"),
    REVIEW_RECENCY: _("Review recency"),
    RENEWAL_PROXIMITY: _("Renewal proximity"),
    DATA_FRESHNESS: _("Data freshness"),
    PAYMENTS: _("Invoices paid on time"),
    CLOSING_DOCUMENTS: _("Closing documents signed"),
}
METRIC_KINDS = {KPI_TREND, KPI_LEVEL}
# An invoice this many days late, or an act waiting this long for a signature, scores 0 (Freshsuccess counts the
# days an invoice is open; a quarter late is as bad as it gets).
PAYMENT_ZERO_AT_DAYS = 90
CLOSING_ZERO_AT_DAYS = 90


class ModelError(ValueError):
    """The model configuration is not usable; the message says what to fix."""


@dataclass(frozen=True)
class ComponentSpec:
    kind: str
    weight: float
    label: str = ""
    metric: str = ""
    window_days: int = 28
    # kpi_trend: relative change that drives the sub-score to 0 (0.5 = a 50% drop).
    drop_to_zero: float = 0.5
    # kpi_level: values at which the sub-score is 100 (good) and 0 (bad); good may be below bad.
    good: float | None = None
    bad: float | None = None

    @property
    def title(self) -> str:
        return self.title_with(None)

    def label_phrase(self, meta: MetricMeta | None) -> Phrase:
        """The label a person reads: the admin's label, else the KPI's name and what is measured of it."""
        name = (meta.name if meta is not None and meta.name else self.metric) if self.kind in METRIC_KINDS else ""
        return phrase("health.component_label", kind=self.kind, kpi=name, label=self.label)

    def title_with(self, meta: MetricMeta | None) -> str:
        return render(self.label_phrase(meta))


@dataclass(frozen=True)
class ModelSpec:
    components: tuple[ComponentSpec, ...]
    green_min: float = 70.0
    yellow_min: float = 40.0

    def metric_windows(self) -> set[tuple[str, int, int]]:
        """(metric, N, N): a KPI component compares its last N days with the N days before."""
        return {(c.metric, c.window_days, c.window_days) for c in self.components if c.kind in METRIC_KINDS}


@dataclass(frozen=True)
class ClientInputs:
    client_id: int
    metrics: Mapping[tuple[str, int, int], KpiWindow] = field(default_factory=dict)  # by KpiWindow.key
    days_since_contact: int | None = None
    cadence_days: int = 30
    open_commitments: int = 0
    overdue_commitments: int = 0
    days_since_review: int | None = None
    last_review_on: dt.date | None = None  # the dated fact days_since_review is counted from
    days_as_client: int | None = None
    days_to_renewal: int | None = None
    # (metric name, days since its last value, expected frequency) for each active KPI the client reported within
    # FRESHNESS_LOOKBACK_DAYS; empty: no KPI value at all in that time.
    kpi_freshness: tuple[tuple[str, int, str], ...] = ()
    # Billing on the day (contracts.selectors.billing_facts_as_of): invoices issued and the overdue ones (count, the
    # oldest's days late); closing documents sent for signature and the unsigned ones (count, the oldest's wait).
    invoices_issued: int = 0
    invoices_overdue: int = 0
    oldest_overdue_days: int = 0
    closing_documents: int = 0
    closing_documents_unsigned: int = 0
    oldest_unsigned_days: int = 0


@dataclass(frozen=True)
class ComponentResult:
    kind: str
    label: str
    weight: float  # normalised, sums to 1 over the model
    sub_score: float | None
    contribution: float  # points of the final score
    missing: bool
    coverage: float  # 0-1: how much of this component's input data was present
    explanation: str  # in the product's default language; ``said`` is the same as a phrase, for each reader
    raw: dict[str, Any]
    said: Phrase | None = None
    label_said: Phrase | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "weight": round(self.weight, 4),
            "sub_score": None if self.sub_score is None else round(self.sub_score, 1),
            "contribution": round(self.contribution, 2),
            "missing": self.missing,
            "coverage": round(self.coverage, 3),
            "explanation": self.explanation,
            "raw": self.raw,
            "said": self.said,
            "label_said": self.label_said,
        }


@dataclass(frozen=True)
class ScoreResult:
    client_id: int
    score: float
    band: str
    coverage: float
    weakest: str
    components: tuple[ComponentResult, ...]


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def _linear(value: float, zero_at: float, hundred_at: float) -> float:
    if hundred_at == zero_at:
        return 100.0 if value == hundred_at else 0.0
    return _clamp((value - zero_at) / (hundred_at - zero_at) * 100.0)


def parse_model(
    components: Iterable[Mapping[str, Any]],
    *,
    green_min: float,
    yellow_min: float,
    metrics: Mapping[str, MetricMeta] | None = None,
) -> ModelSpec:
    """Validate a stored/edited configuration and build the spec, with messages a user can act on."""
    specs: list[ComponentSpec] = []
    for index, raw in enumerate(components, start=1):
        kind = raw.get("kind")
        if kind not in COMPONENT_KINDS:
            raise ModelError(gettext("Component %(index)s: unknown kind '%(kind)s'.") % {"index": index, "kind": kind})
        try:
            weight = float(raw.get("weight", 0))
        except (TypeError, ValueError) as exc:
            raise ModelError(gettext("Component %(index)s: the weight must be a number.") % {"index": index}) from exc
        if weight < 0 or weight != weight or weight == float("inf"):
            raise ModelError(gettext("Component %(index)s: the weight must be zero or more.") % {"index": index})
        params = raw.get("params") or {}
        metric = str(params.get("metric") or raw.get("metric") or "")
        window = params.get("window_days", raw.get("window_days", 28))
        try:
            window = int(window)
        except (TypeError, ValueError) as exc:
            raise ModelError(
                gettext("Component %(index)s: the window must be a whole number of days.") % {"index": index}
            ) from exc
        if kind in METRIC_KINDS:
            if not metric:
                raise ModelError(gettext("Component %(index)s: choose the KPI it reads.") % {"index": index})
            if metrics is not None and metric not in metrics:
                raise ModelError(
                    gettext("Component %(index)s: there is no KPI '%(metric)s'.") % {"index": index, "metric": metric}
                )
            if not 1 <= window <= 365:
                raise ModelError(
                    gettext("Component %(index)s: the window must be between 1 and 365 days.") % {"index": index}
                )
        good = params.get("good", raw.get("good"))
        bad = params.get("bad", raw.get("bad"))
        if kind == KPI_LEVEL:
            try:
                good, bad = float(good), float(bad)
            except (TypeError, ValueError) as exc:
                raise ModelError(
                    gettext("Component %(index)s: a KPI level needs numeric 'good' and 'bad' values.")
                    % {"index": index}
                ) from exc
            if good == bad:
                raise ModelError(gettext("Component %(index)s: 'good' and 'bad' must differ.") % {"index": index})
        drop = float(params.get("drop_to_zero", raw.get("drop_to_zero", 0.5)) or 0.5)
        if not 0 < drop <= 10:
            raise ModelError(
                gettext("Component %(index)s: 'drop to zero' must be between 0 and 10 (0.5 = 50%%).") % {"index": index}
            )
        specs.append(
            ComponentSpec(
                kind=kind,
                weight=weight,
                label=str(raw.get("label") or ""),
                metric=metric if kind in METRIC_KINDS else "",
                window_days=window if kind in METRIC_KINDS else 0,
                drop_to_zero=drop,
                good=good if kind == KPI_LEVEL else None,
                bad=bad if kind == KPI_LEVEL else None,
            )
        )
    if not specs:
        raise ModelError(gettext("A health model needs at least one component."))
    if sum(s.weight for s in specs) <= 0:
        raise ModelError(gettext("At least one component needs a weight above zero."))
    if not 0 <= yellow_min <= green_min <= 100:
        raise ModelError(gettext("Bands must satisfy 0 ≤ yellow minimum ≤ green minimum ≤ 100."))
    return ModelSpec(components=tuple(specs), green_min=float(green_min), yellow_min=float(yellow_min))


def band_for(score: float, model: ModelSpec) -> str:
    if score >= model.green_min:
        return "green"
    if score >= model.yellow_min:
        return "yellow"
    return "red"


def _frequency(meta: MetricMeta | None) -> str:
    return meta.frequency if meta else "daily"


def _kpi_trend(spec: ComponentSpec, inputs: ClientInputs, meta: MetricMeta | None):
    """Last N days vs the N before. A stretch with under half of its expected values (by the KPI's frequency) is
    mostly empty: the trend is missing, not computed. A summed KPI compares per value received, so a partly empty
    stretch does not read as a fall (or a rise); a KPI that is better higher and was 0 in both stretches has no
    activity at all, which is not 'stable': it scores 0."""
    window = inputs.metrics.get((spec.metric, spec.window_days, spec.window_days))
    name = meta.name if meta else spec.metric
    unit = meta.unit if meta else ""
    frequency = _frequency(meta)
    n = spec.window_days
    recent_cov = window.recent_coverage(frequency) if window else 0.0
    baseline_cov = window.baseline_coverage(frequency) if window else 0.0
    coverage = (recent_cov + baseline_cov) / 2
    if window is None or recent_cov < MIN_COVERAGE or baseline_cov < MIN_COVERAGE:
        recent_count = window.recent_count if window else 0
        baseline_count = window.baseline_count if window else 0
        return (
            None,
            coverage,
            phrase(
                "health.trend_too_little",
                kpi=name,
                days=n,
                recent=min(recent_count, expected_points(n, frequency)),
                baseline=min(baseline_count, expected_points(n, frequency)),
                expected=expected_points(n, frequency),
            ),
            {
                "current": None if window is None else window.recent_value,
                "previous": None if window is None else window.baseline_value,
                "days_present": recent_count + baseline_count,
            },
        )
    current, previous = window.recent_value or 0.0, window.baseline_value or 0.0
    raw = {
        "current": current,
        "previous": previous,
        "window_days": n,
        "days_present": window.recent_count + window.baseline_count,
    }
    partial = window.recent_count != window.baseline_count
    if meta is not None and meta.aggregation == SUM and partial:
        now_rate, before_rate = current / window.recent_count, previous / window.baseline_count
    else:
        now_rate, before_rate = current, previous
    if before_rate == 0:
        change = 0.0 if now_rate == 0 else (1.0 if now_rate > 0 else -1.0)
    else:
        change = (now_rate - before_rate) / abs(before_rate)
    raw["change"] = round(change, 4)
    per_value = (
        [window.recent_count, window.baseline_count]
        if partial and meta is not None and meta.aggregation == SUM
        else None
    )
    text = phrase(
        "health.trend",
        kpi=name,
        days=n,
        current=current,
        previous=previous,
        unit=unit,
        change=change,
        per_value=per_value,
    )
    higher_is_better = meta is None or meta.higher_is_better
    if higher_is_better and now_rate == 0 and before_rate == 0:
        raw["no_activity"] = True
        return 0.0, min(coverage, 1.0), phrase("health.no_activity", kpi=name, days=2 * n), raw
    signed = change if higher_is_better else -change
    sub = _clamp(70.0 + signed / spec.drop_to_zero * 70.0)
    return sub, min(coverage, 1.0), text, raw


def _kpi_level(spec: ComponentSpec, inputs: ClientInputs, meta: MetricMeta | None):
    window = inputs.metrics.get((spec.metric, spec.window_days, spec.window_days))
    name = meta.name if meta else spec.metric
    unit = meta.unit if meta else ""
    frequency = _frequency(meta)
    n = spec.window_days
    coverage = window.recent_coverage(frequency) if window else 0.0
    if window is None or window.recent_value is None or coverage < MIN_COVERAGE:
        count = window.recent_count if window else 0
        return (
            None,
            coverage,
            phrase(
                "health.level_too_little",
                kpi=name,
                days=n,
                present=min(count, expected_points(n, frequency)),
                expected=expected_points(n, frequency),
            ),
            {"current": None if window is None else window.recent_value},
        )
    value = window.recent_value
    sub = _linear(value, zero_at=spec.bad, hundred_at=spec.good)
    text = phrase("health.level", kpi=name, days=n, value=value, unit=unit, good=spec.good, bad=spec.bad)
    return sub, coverage, text, {"current": value, "good": spec.good, "bad": spec.bad}


def freshness(days_since: int, frequency: str) -> float:
    """0-100 for one KPI: on time up to one expected period plus a day of delivery lag, then falling to 0 over
    another period (at least two weeks): a daily KPI silent for 16 days, a monthly one for 61, scores 0."""
    period = period_days(frequency)
    on_time = period + 1
    return 100.0 if days_since <= on_time else _linear(days_since, on_time + max(14, period), on_time)


def _data_freshness(spec: ComponentSpec, inputs: ClientInputs, meta):
    """Are the client's KPIs still arriving? Each KPI it reports, against its expected frequency; a client with no
    KPI value at all is not healthy by default: it scores 0 (nothing shows that it is)."""
    if not inputs.kpi_freshness:
        return (
            0.0,
            1.0,
            phrase("health.no_kpis", days=FRESHNESS_LOOKBACK_DAYS),
            {"metrics": {}, "lookback_days": FRESHNESS_LOOKBACK_DAYS},
        )
    scored = sorted(
        ((freshness(days, frequency), name, days, frequency) for name, days, frequency in inputs.kpi_freshness),
        key=lambda item: (item[0], -item[2]),
    )
    sub = sum(item[0] for item in scored) / len(scored)
    worst, name, days, frequency = scored[0]
    raw = {"metrics": {n: d for _, n, d, _ in scored}}
    if worst >= 100:
        return sub, 1.0, phrase("health.kpis_on_time", count=len(scored)), raw
    late = sum(1 for item in scored if item[0] < 100)
    text = phrase("health.kpis_late", late=late, count=len(scored), kpi=name, days=days, frequency=frequency)
    return sub, 1.0, text, raw


def _engagement(spec: ComponentSpec, inputs: ClientInputs, meta):
    cadence = max(1, inputs.cadence_days)
    if inputs.days_since_contact is None:
        return (
            0.0,
            1.0,
            phrase("health.never_contacted", cadence=cadence),
            {"days_since_contact": None, "cadence_days": cadence},
        )
    ratio = inputs.days_since_contact / cadence
    # Within cadence: full marks; three cadences without a touch: zero.
    sub = 100.0 if ratio <= 1 else _clamp(100.0 - (ratio - 1) / 2 * 100.0)
    text = phrase("health.last_contact", days=inputs.days_since_contact, cadence=cadence)
    return sub, 1.0, text, {"days_since_contact": inputs.days_since_contact, "cadence_days": cadence}


def _commitments(spec: ComponentSpec, inputs: ClientInputs, meta):
    raw = {"open": inputs.open_commitments, "overdue": inputs.overdue_commitments}
    if inputs.open_commitments == 0:
        return 100.0, 1.0, phrase("health.no_open_commitments"), raw
    sub = _clamp(100.0 - 35.0 * inputs.overdue_commitments)
    said = phrase("health.commitments_overdue", overdue=inputs.overdue_commitments, open=inputs.open_commitments)
    return sub, 1.0, said, raw


def _review_recency(spec: ComponentSpec, inputs: ClientInputs, meta):
    raw = {
        "days_since_review": inputs.days_since_review,
        "days_as_client": inputs.days_as_client,
        "last_review_on": inputs.last_review_on.isoformat() if inputs.last_review_on else None,
    }
    if inputs.days_since_review is None:
        if inputs.days_as_client is not None and inputs.days_as_client < 90:
            return 100.0, 1.0, phrase("health.first_review_not_due", days=inputs.days_as_client), raw
        if inputs.days_as_client is None:
            return None, 0.0, phrase("health.no_review_no_start"), raw
        return 0.0, 1.0, phrase("health.no_review"), raw
    sub = 100.0 if inputs.days_since_review <= 90 else _linear(inputs.days_since_review, 180, 90)
    on = inputs.last_review_on.isoformat() if inputs.last_review_on is not None else None
    return sub, 1.0, phrase("health.last_review", on=on, days=inputs.days_since_review), raw


def _renewal(spec: ComponentSpec, inputs: ClientInputs, meta):
    raw = {"days_to_renewal": inputs.days_to_renewal}
    if inputs.days_to_renewal is None:
        return None, 0.0, phrase("health.no_renewal"), raw
    if inputs.days_to_renewal < 0:
        return 0.0, 1.0, phrase("health.renewal_passed", days=-inputs.days_to_renewal), raw
    sub = _linear(inputs.days_to_renewal, 0, 120)
    return sub, 1.0, phrase("health.renewal_in", days=inputs.days_to_renewal), raw


def _payments(spec: ComponentSpec, inputs: ClientInputs, meta):
    """Invoices paid by their due date: 100 with none overdue, falling to 0 as the oldest overdue invoice reaches
    PAYMENT_ZERO_AT_DAYS late. A client with no invoice issued has nothing to say here: missing, not healthy."""
    raw = {
        "issued": inputs.invoices_issued,
        "overdue": inputs.invoices_overdue,
        "oldest_days": inputs.oldest_overdue_days,
    }
    if inputs.invoices_issued == 0:
        return None, 0.0, phrase("health.no_invoices"), raw
    if inputs.invoices_overdue == 0:
        return 100.0, 1.0, phrase("health.invoices_paid", issued=inputs.invoices_issued), raw
    sub = _linear(inputs.oldest_overdue_days, PAYMENT_ZERO_AT_DAYS, 0)
    said = phrase("health.invoices_overdue", count=inputs.invoices_overdue, oldest=inputs.oldest_overdue_days)
    return sub, 1.0, said, raw


def _closing_documents(spec: ComponentSpec, inputs: ClientInputs, meta):
    """Closing documents (acts) signed: 100 with none waiting, falling to 0 as the oldest unsigned one has waited
    CLOSING_ZERO_AT_DAYS. None sent for signature: missing."""
    raw = {
        "sent": inputs.closing_documents,
        "unsigned": inputs.closing_documents_unsigned,
        "oldest_days": inputs.oldest_unsigned_days,
    }
    if inputs.closing_documents == 0:
        return None, 0.0, phrase("health.no_closing_documents"), raw
    if inputs.closing_documents_unsigned == 0:
        return 100.0, 1.0, phrase("health.closing_documents_signed"), raw
    sub = _linear(inputs.oldest_unsigned_days, CLOSING_ZERO_AT_DAYS, 0)
    said = phrase(
        "health.closing_documents_waiting", count=inputs.closing_documents_unsigned, oldest=inputs.oldest_unsigned_days
    )
    return sub, 1.0, said, raw


_COMPUTE = {
    KPI_TREND: _kpi_trend,
    KPI_LEVEL: _kpi_level,
    ENGAGEMENT: _engagement,
    COMMITMENTS: _commitments,
    REVIEW_RECENCY: _review_recency,
    RENEWAL_PROXIMITY: _renewal,
    DATA_FRESHNESS: _data_freshness,
    PAYMENTS: _payments,
    CLOSING_DOCUMENTS: _closing_documents,
}


def score_client(inputs: ClientInputs, model: ModelSpec, metrics: Mapping[str, MetricMeta]) -> ScoreResult:
    total_weight = sum(c.weight for c in model.components)
    results: list[ComponentResult] = []
    for spec in model.components:
        weight = spec.weight / total_weight
        sub, coverage, said, raw = _COMPUTE[spec.kind](spec, inputs, metrics.get(spec.metric))
        missing = sub is None
        effective = NEUTRAL if missing else sub
        if missing:
            said = phrase("health.missing", said=said, neutral=NEUTRAL)
        label_said = spec.label_phrase(metrics.get(spec.metric))
        results.append(
            ComponentResult(
                kind=spec.kind,
                label=render_default(label_said),
                weight=weight,
                sub_score=sub,
                contribution=weight * effective,
                missing=missing,
                coverage=coverage,
                explanation=render_default(said),
                raw=raw,
                said=said,
                label_said=label_said,
            )
        )
    score = round(_clamp(sum(r.contribution for r in results)), 1)
    coverage = sum(r.weight * r.coverage for r in results)
    # What pulls the score down most: the biggest weighted gap to a perfect sub-score.
    gaps = [(r.weight * (100.0 - (NEUTRAL if r.missing else r.sub_score)), r.label) for r in results]
    worst_gap, worst_label = max(gaps)
    return ScoreResult(
        client_id=inputs.client_id,
        score=score,
        band=band_for(score, model),
        coverage=round(coverage, 3),
        weakest=worst_label if worst_gap > 0 else "",
        components=tuple(results),
    )


DEFAULT_COMPONENTS: list[dict[str, Any]] = [
    {"kind": KPI_TREND, "weight": 3, "params": {"metric": "orders", "window_days": 28}},
    {"kind": KPI_TREND, "weight": 2, "params": {"metric": "revenue", "window_days": 28}},
    {"kind": KPI_TREND, "weight": 1, "params": {"metric": "support_incidents", "window_days": 28}},
    {"kind": KPI_LEVEL, "weight": 1, "params": {"metric": "nps", "window_days": 90, "good": 50, "bad": 0}},
    {"kind": ENGAGEMENT, "weight": 2},
    {"kind": COMMITMENTS, "weight": 1},
    {"kind": REVIEW_RECENCY, "weight": 1},
    {"kind": RENEWAL_PROXIMITY, "weight": 1},
    {"kind": DATA_FRESHNESS, "weight": 2},
]
