"""The health formula, without a database."""

import pytest

from health import scoring
from health.scoring import ClientInputs
from kpis.windows import KpiWindow, MetricMeta

METRICS = {
    "orders": MetricMeta("orders", "Orders", "orders", True, "sum"),
    "incidents": MetricMeta("incidents", "Incidents", "tickets", False, "sum"),
    "nps": MetricMeta("nps", "NPS", "points", True, "mean"),
}


def model(*components, green=70, yellow=40):
    return scoring.parse_model(list(components), green_min=green, yellow_min=yellow, metrics=METRICS)


def trend(metric="orders", weight=1, window=28):
    return {"kind": "kpi_trend", "weight": weight, "params": {"metric": metric, "window_days": window}}


def window(current, previous, days=28, present=None):
    present = days if present is None else present
    return KpiWindow(
        metric="",
        recent_days=days,
        baseline_days=days,
        recent_value=current,
        baseline_value=previous,
        recent_count=present,
        baseline_count=present,
    )


class TestTrend:
    def test_falling_orders_explained_in_words_and_numbers(self):
        inputs = ClientInputs(client_id=1, metrics={("orders", 28, 28): window(312, 455)})
        result = scoring.score_client(inputs, model(trend()), METRICS)
        component = result.components[0]
        assert component.explanation == "Orders last 28 days: 312 orders, previous 28: 455 orders, -31%"
        assert component.raw["change"] == pytest.approx(-0.3143, abs=1e-4)
        # -31% with a 50% drop-to-zero: 70 + (-0.314 / 0.5) * 70
        assert component.sub_score == pytest.approx(26.0, abs=0.1)
        assert result.band == "red"

    def test_stable_is_healthy_and_growth_is_capped(self):
        stable = scoring.score_client(ClientInputs(1, {("orders", 28, 28): window(100, 100)}), model(trend()), METRICS)
        growth = scoring.score_client(ClientInputs(1, {("orders", 28, 28): window(300, 100)}), model(trend()), METRICS)
        assert stable.score == 70.0
        assert growth.score == 100.0

    def test_lower_is_better_inverts_the_direction(self):
        more_incidents = ClientInputs(1, {("incidents", 28, 28): window(20, 10)})
        result = scoring.score_client(more_incidents, model(trend("incidents")), METRICS)
        assert result.components[0].sub_score == 0.0

    def test_missing_data_is_shown_and_counted_neutral(self):
        inputs = ClientInputs(1, metrics={}, days_since_contact=1, cadence_days=30)
        result = scoring.score_client(inputs, model(trend(weight=1), {"kind": "engagement", "weight": 1}), METRICS)
        missing = result.components[0]
        assert missing.missing and missing.sub_score is None
        assert "missing, counted as neutral 50" in missing.explanation
        assert result.score == pytest.approx(0.5 * 50 + 0.5 * 100)
        assert result.coverage == pytest.approx(0.5)


class TestOtherComponents:
    def test_engagement_against_cadence(self):
        spec = model({"kind": "engagement", "weight": 1})
        within = scoring.score_client(ClientInputs(1, days_since_contact=10, cadence_days=14), spec, METRICS)
        twice = scoring.score_client(ClientInputs(1, days_since_contact=28, cadence_days=14), spec, METRICS)
        never = scoring.score_client(ClientInputs(1, days_since_contact=None, cadence_days=14), spec, METRICS)
        assert (within.score, twice.score, never.score) == (100.0, 50.0, 0.0)
        assert twice.components[0].explanation == "Last contact 28 days ago; cadence every 14 days"

    def test_commitments(self):
        spec = model({"kind": "commitments", "weight": 1})
        result = scoring.score_client(ClientInputs(1, open_commitments=4, overdue_commitments=2), spec, METRICS)
        assert result.score == 30.0
        assert result.components[0].explanation == "2 of 4 open commitments overdue"

    def test_kpi_level_between_bad_and_good(self):
        spec = model(
            {"kind": "kpi_level", "weight": 1, "params": {"metric": "nps", "window_days": 90, "good": 50, "bad": 0}}
        )
        result = scoring.score_client(
            ClientInputs(1, {("nps", 90, 90): window(25, None, days=90, present=3)}), spec, METRICS
        )
        assert result.score == 50.0

    def test_review_not_due_for_a_new_client(self):
        spec = model({"kind": "review_recency", "weight": 1})
        new = scoring.score_client(ClientInputs(1, days_since_review=None, days_as_client=30), spec, METRICS)
        old = scoring.score_client(ClientInputs(1, days_since_review=None, days_as_client=400), spec, METRICS)
        late = scoring.score_client(ClientInputs(1, days_since_review=135, days_as_client=400), spec, METRICS)
        assert (new.score, old.score, late.score) == (100.0, 0.0, 50.0)

    def test_renewal_proximity(self):
        spec = model({"kind": "renewal_proximity", "weight": 1})
        assert scoring.score_client(ClientInputs(1, days_to_renewal=60), spec, METRICS).score == 50.0
        assert scoring.score_client(ClientInputs(1, days_to_renewal=None), spec, METRICS).components[0].missing


class TestWeightsAndBands:
    def test_weights_are_normalised_and_weakest_named(self):
        spec = model(
            {"kind": "engagement", "weight": 3},
            {"kind": "commitments", "weight": 1},
        )
        result = scoring.score_client(
            ClientInputs(1, days_since_contact=60, cadence_days=30, open_commitments=1, overdue_commitments=0),
            spec,
            METRICS,
        )
        assert [c.weight for c in result.components] == [0.75, 0.25]
        assert result.score == pytest.approx(0.75 * 50 + 0.25 * 100)
        assert result.weakest == "Engagement"
        assert sum(c.contribution for c in result.components) == pytest.approx(result.score)

    def test_bands_are_configurable(self):
        spec = model({"kind": "engagement", "weight": 1}, green=90, yellow=60)
        assert (
            scoring.score_client(ClientInputs(1, days_since_contact=40, cadence_days=30), spec, METRICS).band
            == "yellow"
        )

    @pytest.mark.parametrize(
        ("components", "green", "yellow", "message"),
        [
            ([], 70, 40, "at least one component"),
            ([{"kind": "engagement", "weight": -1}], 70, 40, "zero or more"),
            ([{"kind": "engagement", "weight": 0}], 70, 40, "weight above zero"),
            ([{"kind": "mystery", "weight": 1}], 70, 40, "unknown kind"),
            ([{"kind": "kpi_trend", "weight": 1, "params": {"metric": "nope"}}], 70, 40, "no KPI 'nope'"),
            ([{"kind": "kpi_level", "weight": 1, "params": {"metric": "nps"}}], 70, 40, "numeric 'good' and 'bad'"),
            ([{"kind": "engagement", "weight": 1}], 40, 70, "Bands"),
        ],
    )
    def test_invalid_models_say_what_to_fix(self, components, green, yellow, message):
        with pytest.raises(scoring.ModelError, match=message):
            scoring.parse_model(components, green_min=green, yellow_min=yellow, metrics=METRICS)
