"""Handoff readiness (clients/readiness.py): pure, no database."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from clients.readiness import HandoffFacts, ReadinessLevel, assess

TODAY = dt.date(2026, 3, 15)

AMOUNT_MISSING = "Deal amount is missing."
AMOUNT_NOT_POSITIVE = "Deal amount must be greater than zero."
CLOSE_MISSING = "Close date is missing."
CLOSE_FUTURE = "Close date is in the future: the deal is not closed yet."
GOALS_MISSING = "Customer goals are missing."
NO_RECIPIENT = "Nobody to hand off to: choose an account manager or a team."
CRITERIA_MISSING = "Success criteria are missing."
SCOPE_MISSING = "Scope (what was sold) is missing."
NO_STAKEHOLDERS = "No key stakeholders linked."
NO_DECISION_MAKER = "No decision maker among the stakeholders."
NO_COMMITMENTS = "No commitments recorded: check that sales promised nothing."
RISKS_MISSING = "Risks are missing (write 'none known' if there are none)."


def complete(**overrides) -> HandoffFacts:
    facts = HandoffFacts(
        deal_amount=Decimal("120000.00"),
        close_date=TODAY - dt.timedelta(days=2),
        goals="Cut delivery time by 20%.",
        success_criteria="Delivery time under 2 days by Q3.",
        scope="Platform licence, 200 seats.",
        risks="None known.",
        commitments_count=2,
        stakeholders_count=3,
        has_decision_maker=True,
        has_recipient=True,
        today=TODAY,
    )
    return dataclasses.replace(facts, **overrides)


def test_complete_handoff_is_ready_with_no_reasons():
    readiness = assess(complete())
    assert readiness.level == ReadinessLevel.READY
    assert readiness.label == "Ready"
    assert readiness.blocking == []
    assert readiness.to_review == []
    assert readiness.reasons == []


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"deal_amount": None}, AMOUNT_MISSING),
        ({"deal_amount": Decimal("0")}, AMOUNT_NOT_POSITIVE),
        ({"deal_amount": Decimal("-1.00")}, AMOUNT_NOT_POSITIVE),
        ({"close_date": None}, CLOSE_MISSING),
        ({"close_date": TODAY + dt.timedelta(days=1)}, CLOSE_FUTURE),
        ({"goals": ""}, GOALS_MISSING),
        ({"goals": "  \n\t "}, GOALS_MISSING),
        ({"has_recipient": False}, NO_RECIPIENT),
    ],
)
def test_each_blocking_gap_alone_blocks_with_exactly_that_reason(overrides, reason):
    readiness = assess(complete(**overrides))
    assert readiness.level == ReadinessLevel.BLOCKED
    assert readiness.label == "Blocked"
    assert readiness.blocking == [reason]
    assert readiness.to_review == []
    assert readiness.reasons == [reason]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"success_criteria": ""}, CRITERIA_MISSING),
        ({"scope": "   "}, SCOPE_MISSING),
        ({"stakeholders_count": 0, "has_decision_maker": False}, NO_STAKEHOLDERS),
        ({"has_decision_maker": False}, NO_DECISION_MAKER),
        ({"commitments_count": 0}, NO_COMMITMENTS),
        ({"risks": ""}, RISKS_MISSING),
    ],
)
def test_each_review_gap_alone_needs_review_with_exactly_that_reason(overrides, reason):
    readiness = assess(complete(**overrides))
    assert readiness.level == ReadinessLevel.NEEDS_REVIEW
    assert readiness.label == "Needs review"
    assert readiness.blocking == []
    assert readiness.to_review == [reason]
    assert readiness.reasons == [reason]


def test_close_date_today_is_closed_not_future():
    assert assess(complete(close_date=TODAY)).level == ReadinessLevel.READY


def test_smallest_positive_amount_is_enough():
    assert assess(complete(deal_amount=Decimal("0.01"))).level == ReadinessLevel.READY


def test_no_stakeholders_is_reported_once_not_also_as_missing_decision_maker():
    readiness = assess(complete(stakeholders_count=0, has_decision_maker=False))
    assert NO_DECISION_MAKER not in readiness.reasons
    assert readiness.to_review == [NO_STAKEHOLDERS]


def test_blocking_wins_over_review_and_reasons_list_blocking_first():
    readiness = assess(complete(goals="", risks="", scope=""))
    assert readiness.level == ReadinessLevel.BLOCKED
    assert readiness.blocking == [GOALS_MISSING]
    assert readiness.to_review == [SCOPE_MISSING, RISKS_MISSING]
    assert readiness.reasons == [GOALS_MISSING, SCOPE_MISSING, RISKS_MISSING]


def test_empty_handoff_lists_every_reason_in_order():
    readiness = assess(
        HandoffFacts(
            deal_amount=None,
            close_date=None,
            goals="",
            success_criteria="",
            scope="",
            risks="",
            commitments_count=0,
            stakeholders_count=0,
            has_decision_maker=False,
            has_recipient=False,
            today=TODAY,
        )
    )
    assert readiness.level == ReadinessLevel.BLOCKED
    assert readiness.blocking == [AMOUNT_MISSING, CLOSE_MISSING, GOALS_MISSING, NO_RECIPIENT]
    assert readiness.to_review == [CRITERIA_MISSING, SCOPE_MISSING, NO_STAKEHOLDERS, NO_COMMITMENTS, RISKS_MISSING]


def test_review_gaps_only_never_block():
    readiness = assess(
        complete(
            success_criteria="", scope="", risks="", commitments_count=0, stakeholders_count=0, has_decision_maker=False
        )
    )
    assert readiness.level == ReadinessLevel.NEEDS_REVIEW
    assert readiness.blocking == []
    assert len(readiness.to_review) == 5


def test_levels_are_plain_strings_for_templates_and_api():
    assert ReadinessLevel.BLOCKED == "blocked"
    assert [level.label for level in ReadinessLevel] == ["Ready", "Needs review", "Blocked"]
