"""Quarters, plan lists and KPI trends: pure code, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.dates import Quarter, recent_quarters
from reviews import plan_items, snapshot
from reviews.quarters import periods


class TestQuarters:
    def test_bounds_neighbours_and_labels(self):
        q = Quarter.containing(dt.date(2026, 2, 14))
        assert (q.key, q.label, q.start, q.end, q.days) == (
            "2026-Q1",
            "Q1 2026",
            dt.date(2026, 1, 1),
            dt.date(2026, 3, 31),
            90,
        )
        assert q.previous() == Quarter(2025, 4) and Quarter(2025, 4).next() == q
        assert Quarter(2024, 1).days == 91  # leap year
        assert Quarter.parse(" 2026Q4 ") == Quarter(2026, 4)
        for bad in ("2026-Q5", "Q3", "", "2026-13"):
            with pytest.raises(ValueError):
                Quarter.parse(bad)

    def test_periods_compare_like_with_like(self):
        finished = periods(Quarter(2026, 1), today=dt.date(2026, 5, 1))
        assert finished.complete and (finished.previous_start, finished.previous_end) == (
            dt.date(2025, 10, 1),
            dt.date(2025, 12, 31),
        )
        running = periods(Quarter(2026, 2), today=dt.date(2026, 4, 30))
        assert not running.complete and running.current_days == running.previous_days == 30
        assert running.previous_end == dt.date(2026, 1, 30)
        longer = periods(Quarter(2026, 3), today=dt.date(2026, 9, 30))  # 92 days vs a 91-day Q2: whole quarters
        assert longer.complete and longer.previous_end == dt.date(2026, 6, 30)
        with pytest.raises(ValueError, match="has not started yet"):
            periods(Quarter(2027, 1), today=dt.date(2026, 12, 31))

    def test_recent_quarters_newest_first(self):
        keys = [q.key for q in recent_quarters(dt.date(2026, 11, 24), back=2, ahead=1)]
        assert keys == ["2027-Q1", "2026-Q4", "2026-Q3", "2026-Q2"]


class TestKpiRows:
    def _row(self, current, previous, higher_is_better=True):
        return snapshot.kpi_row(snapshot.KpiFigures("k", "K", "", higher_is_better, "sum", current, previous, 10, 10))

    @pytest.mark.parametrize(
        ("current", "previous", "higher", "trend", "verdict", "change"),
        [
            (120, 100, True, "up", "better", 20.0),
            (120, 100, False, "up", "worse", 20.0),
            (80, 100, False, "down", "better", -20.0),
            (101, 100, True, "flat", "same", 1.0),
            (5, None, True, "new", "", None),
            (5, 0, True, "new", "", None),
            (0, 0, True, "flat", "same", None),
            (None, 7, True, "gone", "", None),
            (None, None, True, "none", "", None),
            (-30, -20, True, "down", "worse", -50.0),
        ],
    )
    def test_trend_and_verdict(self, current, previous, higher, trend, verdict, change):
        row = self._row(current, previous, higher)
        assert (row["trend"], row["verdict"], row["change_pct"]) == (trend, verdict, change)

    def test_commitment_outcomes(self):
        day = dt.date(2026, 3, 10)
        outcome = snapshot.commitment_outcome
        assert outcome(status="done", client_date=day, completed_on=day, as_of=day) == "kept"
        assert (
            outcome(status="done", client_date=day, completed_on=day + dt.timedelta(1), as_of=day + dt.timedelta(5))
            == "kept_late"
        )
        # Done only after the snapshot date: as it stood then, it was still overdue.
        assert (
            outcome(status="done", client_date=day, completed_on=day + dt.timedelta(9), as_of=day + dt.timedelta(5))
            == "overdue"
        )
        assert outcome(status="open", client_date=day, completed_on=None, as_of=day) == "open"
        assert outcome(status="cancelled", client_date=day, completed_on=None, as_of=day) == "cancelled"


class TestPlanItems:
    def test_normalise_fills_defaults_and_trims(self):
        assert plan_items.normalise_objectives([{"objective": "  Grow   orders ", "target": None}]) == [
            {"objective": "Grow orders", "target": "", "status": "on_track", "shared": False}
        ]
        assert plan_items.normalise_opportunities([{"title": "Module", "estimated_value": "1,500.5"}]) == [
            {"title": "Module", "kind": "upsell", "estimated_value": "1500.50", "stage": "identified"}
        ]
        assert plan_items.normalise_stakeholders(
            [{"contact": "7", "who": "ignored", "how": "Lunch"}], contact_names={7: "Dora Diaz"}
        ) == [{"contact": 7, "who": "Dora Diaz", "how": "Lunch"}]

    @pytest.mark.parametrize(
        ("items", "message"),
        [
            ("not a list", "Objectives must be a list."),
            ([["x"]], "Objective 1: expected an object."),
            ([{"objective": "x" * 501}], "Objective 1: keep it under 500 characters."),
            ([{"objective": "A"}] * 31, "At most 30 objectives"),
        ],
    )
    def test_bad_shapes(self, items, message):
        with pytest.raises(ValidationError, match=message):
            plan_items.normalise_objectives(items)

    def test_changes_between_two_states(self):
        before = {
            "hypothesis": "A",
            "revenue_target": "100000.00",
            "objectives": [{"objective": "Grow", "target": "+10%", "status": "on_track"}],
            "risks": [{"risk": "Churn", "impact": "high", "mitigation": ""}],
        }
        after = {
            "hypothesis": "A",
            "revenue_target": "120000",
            "objectives": [{"objective": "grow", "target": "+15%", "status": "at_risk"}],
            "opportunities": [{"title": "Module", "kind": "upsell", "estimated_value": None, "stage": "won"}],
        }
        changes = [(c.section, c.kind, c.text) for c in plan_items.plan_changes(before, after)]
        assert changes == [
            ("Revenue target", "changed", "100,000 → 120,000"),
            ("Objectives", "changed", "grow: target +10% → +15%; status On track → At risk"),
            ("Growth opportunities", "added", "Module"),
            ("Risks", "removed", "Churn"),
        ]
        assert plan_items.plan_changes(after, after) == []
        assert [c.kind for c in plan_items.plan_changes(None, {"hypothesis": "B"})] == ["changed"]
