"""AUC and churn rates on known data, without a database."""

import pytest

from health import calibration
from health.calibration import Observation


def test_auc_of_a_perfect_a_reversed_and_a_useless_score():
    assert calibration.auc([10, 20], [30, 40, 50]) == 1.0  # every churner scored lower
    assert calibration.auc([60, 70], [30, 40]) == 0.0
    assert calibration.auc([50, 50], [50, 50, 50]) == 0.5  # all ties count half


def test_auc_on_a_known_example_with_ties():
    # Churners 20, 40, 60; others 40, 80. Pairs (churner < other): 20<40, 20<80, 40<80, 60<80 = 4, 40=40 tie = 0.5.
    assert calibration.auc([20, 40, 60], [40, 80]) == pytest.approx(4.5 / 6)


def test_auc_needs_both_groups():
    assert calibration.auc([], [1, 2]) is None
    assert calibration.auc([1], []) is None


def test_the_outcome_of_recent_observations_is_unknown_not_negative():
    assert Observation(50, "yellow", days_to_churn=20, days_observed=25).churned_within(30) is True
    assert Observation(50, "yellow", days_to_churn=None, days_observed=25).churned_within(30) is None
    assert Observation(50, "yellow", days_to_churn=45, days_observed=100).churned_within(30) is False
    assert Observation(50, "yellow", days_to_churn=None, days_observed=100).churned_within(90) is False


def test_calibrate_counts_churns_per_horizon_band_and_decile():
    observations = [
        Observation(20, "red", days_to_churn=10, days_observed=120),
        Observation(35, "red", days_to_churn=50, days_observed=120),
        Observation(55, "yellow", days_to_churn=None, days_observed=120),
        Observation(60, "yellow", days_to_churn=80, days_observed=120),
        Observation(80, "green", days_to_churn=None, days_observed=120),
        Observation(90, "green", days_to_churn=None, days_observed=40),  # unknown at 60 and 90 days
    ]
    result = calibration.calibrate(observations)
    by_days = {a.days: a for a in result.aucs}
    assert (by_days[30].churns, by_days[30].observations, by_days[30].auc) == (1, 6, 1.0)
    assert (by_days[60].churns, by_days[60].observations) == (2, 5)
    assert by_days[60].auc == 1.0
    assert (by_days[90].churns, by_days[90].observations) == (3, 5)
    assert by_days[90].auc == pytest.approx(5 / 6)  # 60 (churned) is above 55 (did not)
    bands = {r.label: (r.observations, r.churns) for r in result.bands}
    assert bands == {"green": (1, 0), "yellow": (2, 1), "red": (2, 2)}
    assert [(d.observations, d.churns) for d in result.deciles] == [(1, 1), (1, 1), (1, 0), (1, 1), (1, 0)]
    assert result.deciles[0].low == 20 and result.deciles[0].rate == 1.0
