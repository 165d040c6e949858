"""The health formula, without a database."""

import pytest

from health import scoring
from health.scoring import ClientInputs
from kpis.windows import KpiWindow, MetricMeta

METRICS = {
    "orders": MetricMeta("orders", "Orders", "orders", True, "sum"),
    "incidents": MetricMeta("incidents", "Incidents", "tickets", False, "sum"),
    "nps": MetricMeta("nps", "NPS", "points", True, "mean", "monthly"),
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


def level(metric="nps", window=90, good=50, bad=0):
    return {
        "kind": "kpi_level",
        "weight": 1,
        "params": {"metric": metric, "window_days": window, "good": good, "bad": bad},
    }


def partial(current, previous, days=28, recent=None, baseline=None):
    return KpiWindow("", days, days, current, previous, recent_count=recent, baseline_count=baseline)


class TestCoverage:
    def test_a_monthly_kpi_with_its_values_present_counts_as_fully_present(self):
        spec = model(level())
        result = scoring.score_client(
            ClientInputs(1, {("nps", 90, 90): window(25, None, days=90, present=3)}), spec, METRICS
        )
        assert result.coverage == 1.0 and not result.components[0].missing
        daily = {"nps": MetricMeta("nps", "NPS", "points", True, "mean", "daily")}
        as_daily = scoring.score_client(
            ClientInputs(1, {("nps", 90, 90): window(25, None, days=90, present=3)}),
            scoring.parse_model([level()], green_min=70, yellow_min=40, metrics=daily),
            daily,
        )
        assert as_daily.components[0].missing and as_daily.coverage == pytest.approx(3 / 90, abs=1e-3)

    def test_a_trend_on_a_mostly_empty_stretch_is_missing_not_computed(self):
        spec = model(trend())
        thin_baseline = scoring.score_client(
            ClientInputs(1, {("orders", 28, 28): partial(100, 30, recent=28, baseline=13)}), spec, METRICS
        )
        component = thin_baseline.components[0]
        assert component.missing and component.sub_score is None
        assert "13 of 28 expected values" in component.explanation
        assert component.coverage == pytest.approx((1 + 13 / 28) / 2, abs=1e-3)
        half = scoring.score_client(
            ClientInputs(1, {("orders", 28, 28): partial(100, 50, recent=28, baseline=14)}), spec, METRICS
        )
        assert not half.components[0].missing

    def test_a_partly_empty_baseline_does_not_read_as_a_rise(self):
        # 20 days of 10 orders in the baseline (8 days missing), 28 days of 10 now: flat, not +40%.
        result = scoring.score_client(
            ClientInputs(1, {("orders", 28, 28): partial(280, 200, recent=28, baseline=20)}), model(trend()), METRICS
        )
        assert result.components[0].raw["change"] == 0.0
        assert result.components[0].sub_score == 70.0
        assert "per value received: 28 vs 20" in result.components[0].explanation

    def test_a_level_on_a_mostly_empty_window_is_missing(self):
        result = scoring.score_client(
            ClientInputs(1, {("nps", 90, 90): window(25, None, days=90, present=1)}), model(level()), METRICS
        )
        assert result.components[0].missing

    def test_zero_activity_is_not_stable(self):
        zero = scoring.score_client(ClientInputs(1, {("orders", 28, 28): window(0, 0)}), model(trend()), METRICS)
        assert zero.components[0].sub_score == 0.0 and "no activity" in zero.components[0].explanation
        no_incidents = scoring.score_client(
            ClientInputs(1, {("incidents", 28, 28): window(0, 0)}), model(trend("incidents")), METRICS
        )
        assert no_incidents.components[0].sub_score == 70.0  # none of a bad thing is fine


class TestFreshness:
    def test_each_kpi_against_its_expected_frequency(self):
        assert scoring.freshness(1, "daily") == scoring.freshness(2, "daily") == 100.0
        assert scoring.freshness(9, "daily") == 50.0
        assert scoring.freshness(16, "daily") == 0.0
        assert scoring.freshness(31, "monthly") == 100.0
        assert scoring.freshness(61, "monthly") == 0.0
        assert scoring.freshness(8, "weekly") == 100.0

    def test_the_component_names_the_stalest_kpi(self):
        spec = model({"kind": "data_freshness", "weight": 1})
        fresh = scoring.score_client(
            ClientInputs(1, kpi_freshness=(("Orders", 1, "daily"), ("NPS", 20, "monthly"))), spec, METRICS
        )
        assert fresh.score == 100.0 and fresh.components[0].explanation == "All 2 KPIs arriving on time"
        stale = scoring.score_client(
            ClientInputs(1, kpi_freshness=(("Orders", 30, "daily"), ("NPS", 20, "monthly"))), spec, METRICS
        )
        assert stale.score == 50.0
        assert stale.components[0].explanation == "1 of 2 KPIs late; Orders: last value 30 days ago (expected daily)"

    def test_no_kpis_at_all_scores_zero_not_missing(self):
        result = scoring.score_client(ClientInputs(1), model({"kind": "data_freshness", "weight": 1}), METRICS)
        assert result.score == 0.0 and not result.components[0].missing


DEFAULT_METRICS = {
    "orders": MetricMeta("orders", "Orders", "orders", True, "sum"),
    "revenue": MetricMeta("revenue", "Revenue", "EUR", True, "sum"),
    "support_incidents": MetricMeta("support_incidents", "Support incidents", "tickets", False, "sum"),
    "nps": MetricMeta("nps", "NPS", "points", True, "mean", "monthly"),
}
CARED_FOR = {"days_since_contact": 3, "cadence_days": 14, "days_since_review": 30, "days_to_renewal": 300}


def _default_score(metrics=None, freshness=()):
    spec = scoring.parse_model(scoring.DEFAULT_COMPONENTS, green_min=70, yellow_min=40, metrics=DEFAULT_METRICS)
    return scoring.score_client(
        ClientInputs(1, metrics or {}, kpi_freshness=freshness, **CARED_FOR), spec, DEFAULT_METRICS
    )


class TestDefaultModelIsHonest:
    """Everything but the KPIs perfect: missing or dead data must still not make the client green."""

    def test_no_kpis_at_all_is_not_green(self):
        assert _default_score().band != "green"

    def test_kpis_that_stopped_arriving_are_not_green(self):
        stopped = (
            ("Orders", 30, "daily"),
            ("Revenue", 30, "daily"),
            ("Support incidents", 30, "daily"),
            ("NPS", 30, "monthly"),
        )
        last_nps = {("nps", 90, 90): window(40, 40, days=90, present=3)}
        assert _default_score(last_nps, stopped).band != "green"

    def test_zero_orders_for_months_is_not_green(self):
        on_time = (
            ("Orders", 1, "daily"),
            ("Revenue", 1, "daily"),
            ("Support incidents", 1, "daily"),
            ("NPS", 5, "monthly"),
        )
        zeros = {
            ("orders", 28, 28): window(0, 0),
            ("revenue", 28, 28): window(0, 0),
            ("support_incidents", 28, 28): window(0, 0),
            ("nps", 90, 90): window(40, 40, days=90, present=3),
        }
        assert _default_score(zeros, on_time).band != "green"

    def test_a_healthy_client_with_fresh_complete_data_is_green(self):
        on_time = (
            ("Orders", 1, "daily"),
            ("Revenue", 1, "daily"),
            ("Support incidents", 1, "daily"),
            ("NPS", 5, "monthly"),
        )
        steady = {
            ("orders", 28, 28): window(300, 300),
            ("revenue", 28, 28): window(3000, 3000),
            ("support_incidents", 28, 28): window(2, 2),
            ("nps", 90, 90): window(50, 50, days=90, present=3),
        }
        result = _default_score(steady, on_time)
        assert result.band == "green" and result.coverage == 1.0
