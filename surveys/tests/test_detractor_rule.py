"""The "detractor's NPS answer" rule kind of flags: the pure condition, the answers as of a day (an answer after the
day, or recorded after the morning run started, does not count), the daily run and the back-test's replay."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from flags import backtest, evaluation, facts, rules
from flags.forms import PARAM_FIELDS
from flags.models import Flag, RuleKind, TriggerRule
from flags.rules import RuleInputs
from kpis.selectors import metric_metadata
from surveys import services
from surveys.models import SurveyInvitation

D = dt.date(2026, 11, 10)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def check(params, answers):
    spec = rules.validate("survey_detractor", params, {})
    return rules.evaluate("survey_detractor", spec, RuleInputs(client_id=1, nps_answers=answers), {})


class TestCondition:
    def test_a_low_score_within_the_window_matches(self):
        answers = (("Dora Lind", 3, 2), ("Ivan Berg", 9, 1), ("Mia Sund", 6, 40))
        match = check({"days": 30, "max_score": 6}, answers)
        assert match.evidence == "1 detractor in the NPS survey: Dora Lind gave 3 of 10, 2 days ago"
        assert match.data == {"count": 1, "lowest": 3}
        both = check({"days": 60, "max_score": 6}, answers)
        assert both.evidence.startswith("2 detractors in the NPS survey: Dora Lind gave 3 of 10")
        assert both.measure > match.measure  # more detractors is worse
        assert check({"days": 30, "max_score": 2}, answers) is None
        assert check({"days": 2, "max_score": 6}, answers) is None  # 2 days ago is outside a 2-day window
        assert check({}, ()) is None
        assert check({}, (("Dora Lind", 0, 0),)).evidence.endswith("gave 0 of 10, today")

    def test_parameters(self):
        assert rules.validate("survey_detractor", {}, {}) == {"max_score": 6, "days": 30}
        with pytest.raises(rules.RuleError, match="between 0 and 9"):
            rules.validate("survey_detractor", {"max_score": 10}, {})
        with pytest.raises(rules.RuleError, match="whole number"):
            rules.validate("survey_detractor", {"max_score": 5.5}, {})
        assert "survey_detractor" in RuleKind.values and PARAM_FIELDS["survey_detractor"] == ["max_score", "days"]
        assert rules.needs_survey_answers("survey_detractor") and not rules.needs_survey_answers("kpi_drop")


@pytest.fixture
def detractor(acme, am_alice):
    """Dora answers 3 on D at 10:00; Ivan answers 10 the same day; Mia answers 2 on D + 2."""
    with time_machine.travel(_at(D - dt.timedelta(days=3)), tick=False):
        sent = services.survey_send(client=acme, kind="nps", contacts=[acme.dora, acme.ivan, acme.mia], by=am_alice)
    invitation = {i.contact_id: i for i in SurveyInvitation.objects.filter(survey=sent.survey)}
    with time_machine.travel(_at(D), tick=False):
        services.survey_answer(invitation=invitation[acme.dora.pk], score=3, comment="Late again")
        services.survey_answer(invitation=invitation[acme.ivan.pk], score=10)
    with time_machine.travel(_at(D + dt.timedelta(days=2)), tick=False):
        services.survey_answer(invitation=invitation[acme.mia.pk], score=2)
    return acme


@pytest.mark.django_db
class TestPointInTime:
    def answers(self, client, day, **kwargs):
        [fact] = facts.facts_as_of(client_ids=[client.pk], day=day, survey_answers=True, **kwargs)
        return fact.inputs.nps_answers

    def test_an_answer_after_the_day_does_not_count(self, detractor):
        assert self.answers(detractor, D - dt.timedelta(days=1)) == ()
        assert self.answers(detractor, D) == (("Dora Lind", 3, 0), ("Ivan Berg", 10, 0))
        assert self.answers(detractor, D + dt.timedelta(days=2)) == (
            ("Dora Lind", 3, 2), ("Ivan Berg", 10, 2), ("Mia Sund", 2, 0),
        )  # fmt: skip

    def test_a_morning_does_not_read_an_answer_recorded_after_it_started(self, detractor):
        morning = _at(D, 6)  # the run of D started before Dora answered at 10:00
        assert self.answers(detractor, D, known_at=morning) == ()
        assert self.answers(detractor, D, known_at=_at(D, 11))[0][0] == "Dora Lind"

    def test_not_read_unless_a_rule_needs_them(self, detractor):
        [fact] = facts.facts_as_of(client_ids=[detractor.pk], day=D)
        assert fact.inputs.nps_answers == ()


@pytest.mark.django_db
def test_the_daily_run_opens_the_flag_and_closes_it_when_the_window_passes(detractor, am_alice):
    rule = TriggerRule.objects.create(name="Detractor", kind="survey_detractor", params={"days": 7, "max_score": 6})
    day_before = D - dt.timedelta(days=1)
    with time_machine.travel(_at(day_before, 6), tick=False):
        evaluation.evaluate_day_inline(on_date=day_before)
    assert not Flag.objects.exists()
    after = D + dt.timedelta(days=1)
    with time_machine.travel(_at(after, 6), tick=False):
        evaluation.evaluate_day_inline(on_date=after)
    flag = Flag.objects.get(client=detractor, rule=rule)
    assert flag.evidence == "1 detractor in the NPS survey: Dora Lind gave 3 of 10, 1 day ago"
    assert (flag.assigned_to, flag.status, flag.data["said"]["key"]) == (am_alice, "open", "flags.survey_detractor")
    with translation.override("ru"):
        assert flag.evidence_text  # written from the phrase in the reader's language
    later = D + dt.timedelta(days=12)  # Dora's and Mia's answers are both older than 7 days
    with time_machine.travel(_at(later, 6), tick=False):
        evaluation.evaluate_day_inline(on_date=later)
    flag.refresh_from_db()
    assert flag.status == "resolved"


@pytest.mark.django_db
def test_the_back_test_replays_the_answers_as_they_arrived(detractor):
    spec = backtest.draft_spec(
        kind="survey_detractor", params={"days": 30, "max_score": 2}, cooldown_days=14, auto_close=True, segment="",
        team_id=None,
    )  # fmt: skip
    result = backtest.replay(
        specs=[spec], client_ids=[detractor.pk], start=D - dt.timedelta(days=3), end=D + dt.timedelta(days=4),
        metrics=metric_metadata(),
    )  # fmt: skip
    # Only Mia's 2 (answered on D + 2) is at most 2: the replay opens the flag that day, not before.
    assert [(f.client_id, f.opened_on) for f in result.flags] == [(detractor.pk, D + dt.timedelta(days=2))]
