"""A renewal's computed likelihood: the pure function, and the field flags keeps on the renewal."""

import datetime as dt
from decimal import Decimal

import pytest

from contracts import services as contract_services
from contracts.models import Renewal
from flags import services
from flags.likelihood import CEILING, FLOOR, LikelihoodInputs, renewal_likelihood
from flags.models import Flag, Severity
from health.models import HealthModel, HealthScore

TODAY = dt.date(2026, 12, 3)


def test_signals_move_the_likelihood_and_say_why():
    healthy = renewal_likelihood(LikelihoodInputs(stage="in_progress", band="green", days_since_contact=3))
    assert healthy.percent == 60 + 15 + 5
    risky = renewal_likelihood(
        LikelihoodInputs(
            stage="at_risk", band="red", score_change_30d=-18, open_flags=2, severe_flags=1, days_since_contact=70,
            cadence_days=30,
        )
    )  # fmt: skip
    assert risky.percent == FLOOR  # 60 - 25 - 10 - 15 - 15 - 10 clamps at the floor: never certain
    assert [f.code for f in risky.factors] == [
        "band_red", "health_falling", "open_flags", "contact_lapsed", "stage_at_risk",
    ]  # fmt: skip
    assert risky.factors[1].params == {"points": 18}
    committed = renewal_likelihood(
        LikelihoodInputs(
            stage="committed", forecast_call="commit", band="green", score_change_30d=8, days_since_contact=1
        )
    )
    assert committed.percent == CEILING
    assert renewal_likelihood(LikelihoodInputs(stage="in_progress")).factors[0].code == "not_scored"
    assert renewal_likelihood(LikelihoodInputs(stage="churned")).percent == 0
    assert renewal_likelihood(LikelihoodInputs(stage="renewed")).percent == 100


def test_a_lost_call_against_good_signals_shows_the_disagreement():
    call = renewal_likelihood(
        LikelihoodInputs(stage="in_progress", forecast_call="lost", band="green", days_since_contact=2)
    )
    without = renewal_likelihood(LikelihoodInputs(stage="in_progress", band="green", days_since_contact=2))
    assert call.percent == without.percent - 40


@pytest.fixture
def renewal(am_alice, alice_client):
    contract = contract_services.contract_create(
        by=am_alice, client=alice_client, today=TODAY, number="C-L", start_date=dt.date(2026, 1, 1), term_months=12,
        value=Decimal("1000"), currency="EUR", status="active",
    )  # fmt: skip
    contract_services.renewals_open_due(today=TODAY)
    return Renewal.objects.get(contract=contract)


def test_flags_keeps_the_likelihood_on_the_renewal(renewal, alice_client, am_alice, django_assert_max_num_queries):
    model = HealthModel.objects.first() or HealthModel.objects.create(version=999, components=[])
    HealthScore.objects.create(client=alice_client, date=TODAY - dt.timedelta(days=31), model=model, score=80,
                               band="green", coverage=1, components=[])  # fmt: skip
    HealthScore.objects.create(client=alice_client, date=TODAY, model=model, score=35, band="red", coverage=1,
                               components=[])  # fmt: skip
    Flag.objects.create(client=alice_client, title="Orders fell", severity=Severity.HIGH, assigned_to=am_alice,
                        opened_on=TODAY, last_seen_on=TODAY, evidence="Orders fell 40%")  # fmt: skip
    with django_assert_max_num_queries(6):
        services.renewal_likelihoods_refresh(on_date=TODAY, client_ids=[alice_client.pk])
    renewal.refresh_from_db()
    codes = [f["code"] for f in renewal.likelihood_factors]
    assert codes[:3] == ["band_red", "health_falling", "open_flags"]
    assert renewal.likelihood == max(FLOOR, 60 - 25 - 10 - 10 - 10)
    assert renewal.likelihood_on == TODAY
    # The AM's call is an input too: changing it recomputes at once (contracts publishes, flags subscribes).
    before = renewal.likelihood
    contract_services.renewal_update(
        renewal=renewal, by=am_alice, expected_version=renewal.version, today=TODAY, forecast_call="commit"
    )
    renewal.refresh_from_db()
    assert renewal.likelihood == before + 10
    assert renewal.history.count() == 2  # computed fields stay out of the audit history


def test_the_daily_run_refreshes_likelihoods(renewal, alice_client):
    from flags.evaluation import evaluate_day_inline

    assert renewal.likelihood is None
    evaluate_day_inline(on_date=TODAY)
    renewal.refresh_from_db()
    assert renewal.likelihood is not None and renewal.likelihood_on == TODAY
