"""The rule kind "KPI data stopped arriving": pure condition, form fields, default rule and the daily run."""

import datetime as dt

import pytest

from flags import evaluation, rules
from flags.default_rules import DEFAULT_RULES
from flags.forms import PARAM_FIELDS
from flags.models import Flag, RuleKind, TriggerRule
from flags.rules import RuleInputs
from kpis import ingest
from kpis.models import Metric
from kpis.windows import MetricMeta
from tests.factories import ClientFactory

METRICS = {
    "orders": MetricMeta("orders", "Orders", "orders", True, "sum", "daily"),
    "nps": MetricMeta("nps", "NPS", "points", True, "mean", "monthly"),
}
TODAY = dt.date(2026, 11, 24)


def check(params, **seen):
    spec = rules.validate("data_stopped", params, METRICS)
    return rules.evaluate("data_stopped", spec, RuleInputs(client_id=1, kpi_last_seen=seen), METRICS)


class TestCondition:
    def test_all_kpis_late_beyond_their_frequency(self):
        match = check({"late_days": 7}, orders=12, nps=45)
        assert match.evidence == "None of 2 KPIs arrived for 12 days (the latest: Orders, expected daily)"
        assert match.measure == 11.0 and match.data == {"days_since": 12, "metric": "orders"}

    def test_one_kpi_still_arriving_keeps_it_quiet(self):
        assert check({"late_days": 7}, orders=1, nps=70) is None
        assert check({"late_days": 7}, orders=30, nps=20) is None  # the monthly NPS is on time

    def test_a_chosen_kpi(self):
        match = check({"metric": "nps", "late_days": 7}, orders=1, nps=40)
        assert match.evidence == "No NPS value for 40 days (expected monthly)"
        assert check({"metric": "nps", "late_days": 7}, orders=1, nps=36) is None

    def test_nothing_reported_is_not_a_stop(self):
        assert check({"late_days": 0}) is None

    def test_parameters_are_checked(self):
        with pytest.raises(rules.RuleError, match="'late_days' must be between 0 and 180"):
            rules.validate("data_stopped", {"late_days": 500}, METRICS)
        with pytest.raises(rules.RuleError, match="'bananas' is not one"):
            rules.validate("data_stopped", {"metric": "bananas"}, METRICS)
        assert rules.validate("data_stopped", {}, METRICS) == {"metric": "", "late_days": 7}

    def test_it_is_a_kind_with_its_form_fields_and_a_default_rule(self):
        assert "data_stopped" in RuleKind.values
        assert PARAM_FIELDS["data_stopped"] == ["metric", "late_days"]
        assert any(kind == "data_stopped" for _, kind, _, _ in DEFAULT_RULES)


@pytest.mark.django_db
def test_the_daily_run_flags_a_client_whose_kpis_stopped(am_alice):
    rule = TriggerRule.objects.create(name="Data stopped", kind="data_stopped", params={"late_days": 7}, severity=2)
    stopped, live = ClientFactory(owner=am_alice, team=am_alice.team), ClientFactory(owner=am_alice, team=am_alice.team)
    orders = Metric.objects.get(key="orders")
    ingest.upsert_values([(stopped.pk, orders.pk, TODAY - dt.timedelta(days=age), 5.0) for age in range(20, 60)])
    ingest.upsert_values([(live.pk, orders.pk, TODAY - dt.timedelta(days=age), 5.0) for age in range(0, 60)])
    evaluation.evaluate_day_inline(on_date=TODAY)
    flag = Flag.objects.get()
    assert (flag.client, flag.rule) == (stopped, rule)
    assert flag.evidence == "No Orders value for 20 days (expected daily)"


class TestKpiDropReadsCoverage:
    params = {"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28}

    def _check(self, window):
        spec = rules.validate("kpi_drop", self.params, METRICS)
        return rules.evaluate("kpi_drop", spec, RuleInputs(client_id=1, windows={("orders", 7, 28): window}), METRICS)

    def test_a_gap_in_the_recent_week_is_not_a_fall(self):
        from kpis.windows import KpiWindow

        # 100 a day throughout, but only 4 of the last 7 days arrived: not -43%.
        gap = KpiWindow("orders", 7, 28, recent_value=400, baseline_value=2800, recent_count=4, baseline_count=28)
        assert self._check(gap) is None
        mostly_empty = KpiWindow(
            "orders", 7, 28, recent_value=10, baseline_value=2800, recent_count=3, baseline_count=28
        )
        assert self._check(mostly_empty) is None
        real = KpiWindow("orders", 7, 28, recent_value=200, baseline_value=2800, recent_count=4, baseline_count=28)
        assert self._check(real).evidence == (
            "Orders 7 days: 200 vs 400 average of the previous 4 weeks, -50% (4 of 7 expected values received)"
        )
