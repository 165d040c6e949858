"""Rule conditions, without a database."""

import pytest

from flags import rules
from flags.rules import RuleInputs
from kpis.windows import KpiWindow, MetricMeta

METRICS = {
    "orders": MetricMeta("orders", "Orders", "orders", True, "sum"),
    "incidents": MetricMeta("incidents", "Support incidents", "tickets", False, "sum"),
    "nps": MetricMeta("nps", "NPS", "points", True, "mean"),
}


def check(kind, params, **inputs):
    spec = rules.validate(kind, params, METRICS)
    return rules.evaluate(kind, spec, RuleInputs(client_id=1, **inputs), METRICS)


class TestKpiDrop:
    params = {"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28}

    def test_the_issue_example(self):
        window = KpiWindow("orders", 7, 28, recent_value=120, baseline_value=840, recent_count=7, baseline_count=28)
        match = check("kpi_drop", self.params, windows={("orders", 7, 28): window})
        assert match.evidence == "Orders 7 days: 120 vs 210 average of the previous 4 weeks, -43%"
        assert match.measure == pytest.approx(42.86, abs=0.01)

    def test_small_drop_or_missing_data_does_not_match(self):
        small = KpiWindow("orders", 7, 28, recent_value=200, baseline_value=840, recent_count=7, baseline_count=28)
        assert check("kpi_drop", self.params, windows={("orders", 7, 28): small}) is None
        empty = KpiWindow("orders", 7, 28, recent_value=None, baseline_value=840, recent_count=0, baseline_count=28)
        assert check("kpi_drop", self.params, windows={("orders", 7, 28): empty}) is None
        assert check("kpi_drop", self.params) is None

    def test_lower_is_better_watches_a_rise(self):
        params = {"metric": "incidents", "drop_pct": 50, "recent_days": 7, "baseline_days": 28}  # expected 2 a week
        window = KpiWindow("incidents", 7, 28, recent_value=6, baseline_value=8, recent_count=7, baseline_count=28)
        match = check("kpi_drop", params, windows={("incidents", 7, 28): window})
        assert match is not None and "+200% (lower is better)" in match.evidence


class TestOtherKinds:
    def test_threshold_uses_the_metric_aggregation(self):
        params = {"metric": "nps", "direction": "below", "threshold": 20, "window_days": 30}
        window = KpiWindow("nps", 30, 0, recent_value=10, baseline_value=None, recent_count=3, baseline_count=0)
        match = check("kpi_threshold", params, windows={("nps", 30, 0): window})
        assert match.evidence == "NPS average over 30 days: 10 points, below the threshold of 20 points"
        assert check("kpi_threshold", {**params, "direction": "above"}, windows={("nps", 30, 0): window}) is None

    def test_no_contact_by_cadence_and_by_days(self):
        assert check("no_contact", {"mode": "cadence", "grace_days": 2}, days_since_contact=16, cadence_days=14) is None
        match = check("no_contact", {"mode": "cadence", "grace_days": 2}, days_since_contact=17, cadence_days=14)
        assert match.evidence == "Last contact 17 days ago (agreed cadence: every 14 days)"
        assert check("no_contact", {"mode": "days", "days": 30}, days_since_contact=None).evidence.startswith("Never")

    def test_health_below_and_drop(self):
        assert check("health_below", {"threshold": 40}, score_today=35).evidence == "Health score 35, below 40"
        assert check("health_below", {"threshold": 40}, score_today=None) is None
        match = check("health_drop", {"points": 15, "days": 14}, score_today=50, scores_before={14: 70})
        assert match.evidence == "Health 50, down 20 points from 70 14 days ago"
        assert check("health_drop", {"points": 15, "days": 14}, score_today=60, scores_before={14: 70}) is None

    def test_commitments_renewal_stakeholders(self):
        match = check("commitment_overdue", {"min_days": 2}, overdue_commitments=(("Send plan", 5), ("Call back", 1)))
        assert match.evidence == "1 commitment overdue: “Send plan” 5 days late"
        assert check("renewal_no_review", {"days": 60}, days_to_renewal=45, reviewed_this_quarter=False) is not None
        assert check("renewal_no_review", {"days": 60}, days_to_renewal=45, reviewed_this_quarter=True) is None
        left = (("Dora Diaz", "decision_maker", 10), ("Eli Berg", "user", 3))
        match = check("stakeholder_left", {"within_days": 30}, stakeholders_left=left)
        assert match.evidence == "Key stakeholder left: Dora Diaz (Decision maker, left 10 days ago)"


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("kpi_drop", {"metric": "nope"}, "not one"),
        ("kpi_drop", {"metric": "orders", "recent_days": 30, "baseline_days": 7}, "at least as long"),
        ("kpi_drop", {"metric": "orders", "drop_pct": 0}, "'drop_pct' must be between"),
        ("kpi_threshold", {"metric": "nps", "threshold": "x"}, "'threshold' must be a number"),
        ("no_contact", {"mode": "weekly"}, "'mode'"),
        ("health_drop", {"days": 1.5}, "whole number"),
        ("stakeholder_left", {"roles": ["ceo"]}, "'roles'"),
        ("mystery", {}, "Unknown rule kind"),
    ],
)
def test_invalid_parameters_are_explained(kind, params, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.validate(kind, params, METRICS)


def test_scope_by_team_and_segment():
    inputs = RuleInputs(client_id=1, segment="smb", team_id=3)
    assert rules.applies_to(rule_team_id=None, rule_segment="", inputs=inputs)
    assert rules.applies_to(rule_team_id=3, rule_segment="smb", inputs=inputs)
    assert not rules.applies_to(rule_team_id=4, rule_segment="", inputs=inputs)
    assert not rules.applies_to(rule_team_id=None, rule_segment="enterprise", inputs=inputs)
