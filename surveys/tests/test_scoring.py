"""The survey figures, pure: the NPS formula at its edges, the CSAT mean, the response rate."""

from __future__ import annotations

import pytest

from surveys import scoring


def test_no_answers_is_no_value_not_zero():
    assert scoring.nps([]) is None
    assert scoring.csat([]) is None
    assert scoring.response_rate(answered=0, invited=0) is None


def test_equal_promoters_and_detractors_is_zero_and_passives_only_is_zero():
    assert scoring.nps([10, 0]) == 0.0
    assert scoring.nps([7, 8, 7]) == 0.0


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([10, 9], 100.0),
        ([0, 6], -100.0),
        ([9, 10, 7, 0], 25.0),  # 2 promoters, 1 passive, 1 detractor of 4
        ([10, 9, 3], 33.3),
        ([6], -100.0),  # 6 is a detractor
        ([7], 0.0),  # 7 and 8 are passives
        ([8], 0.0),
        ([9], 100.0),  # 9 is a promoter
    ],
)
def test_nps_is_promoters_percent_minus_detractors_percent(scores, expected):
    assert scoring.nps(scores) == expected


def test_breakdown_counts_each_group():
    breakdown = scoring.nps_breakdown([10, 9, 8, 7, 6, 0])
    assert (breakdown.answers, breakdown.promoters, breakdown.passives, breakdown.detractors) == (6, 2, 2, 2)
    assert [scoring.nps_group(s) for s in (6, 7, 8, 9)] == ["detractor", "passive", "passive", "promoter"]


def test_csat_is_the_mean_and_rate_a_share():
    assert scoring.csat([5, 4]) == 4.5
    assert scoring.csat([1, 2, 2]) == 1.67
    assert scoring.response_rate(answered=1, invited=4) == 0.25
