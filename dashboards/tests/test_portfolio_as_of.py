"""The portfolio as it stood on any past day: accounts and ARR from the dated lifecycle and the contracts, converted
to the base currency, scores where stored (a note where none were), 12 weekly trend points, overdue renewals."""

import datetime as dt
from decimal import Decimal

import pytest

from clients.models import Client, ClientStatus, ClientStatusChange
from contracts.models import Contract, ContractStatus, ExchangeRate
from dashboards import selectors
from health.models import HealthModel, HealthScore
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False)


def _lifecycle(client, *steps):
    for day, status in steps:
        ClientStatusChange.objects.create(client=client, status=status, effective_on=day)


def _contract(client, number, start, end, value, currency="EUR"):
    return Contract.objects.create(
        client=client,
        number=number,
        start_date=start,
        end_date=end,
        term_months=12,
        value=Decimal(value),
        currency=currency,
        status=ContractStatus.ACTIVE,
    )


def _world(am):
    """Three clients: one live all along (EUR contract), one churned since (USD contract), one onboarded since."""
    steady = ClientFactory(name="Steady", owner=am, team=am.team, status=ClientStatus.ACTIVE)
    gone = ClientFactory(name="Gone", owner=am, team=am.team, status=ClientStatus.CHURNED)
    fresh = ClientFactory(name="Fresh", owner=am, team=am.team, status=ClientStatus.ACTIVE)
    _lifecycle(steady, (dt.date(2025, 1, 1), ClientStatus.ACTIVE))
    _lifecycle(gone, (dt.date(2025, 1, 1), ClientStatus.ACTIVE), (dt.date(2026, 5, 1), ClientStatus.CHURNED))
    _lifecycle(fresh, (dt.date(2026, 5, 20), ClientStatus.ONBOARDING))
    _contract(steady, "S-1", dt.date(2025, 1, 1), dt.date(2025, 12, 31), 100_000)
    _contract(steady, "S-2", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 120_000)
    _contract(gone, "G-1", dt.date(2025, 6, 1), dt.date(2026, 4, 30), 50_000, "USD")
    _contract(fresh, "F-1", dt.date(2026, 5, 20), dt.date(2027, 5, 19), 30_000)
    ExchangeRate.objects.create(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("0.9"))
    return steady, gone, fresh


def test_a_past_day_counts_the_clients_live_then_and_their_arr_then(frozen, lead_lena, am_alice):
    _world(am_alice)
    march = selectors.portfolio(user=lead_lena, as_of=dt.date(2026, 3, 10))
    assert march.clients == 2  # steady and gone; fresh was not a client yet
    assert dict(march.arr.items()) == {"EUR": Decimal("120000.00"), "USD": Decimal("50000.00")}
    assert march.arr_converted.complete and march.arr_converted.converted == Decimal("165000.00")
    assert march.per_am[0].arr_base == Decimal("165000.00")

    last_year = selectors.portfolio(user=lead_lena, as_of=dt.date(2025, 3, 10))
    assert last_year.clients == 2 and dict(last_year.arr.items()) == {"EUR": Decimal("100000.00")}

    today = selectors.portfolio(user=lead_lena, as_of=TODAY)
    assert today.clients == 2  # steady and fresh; gone churned on May 1st
    assert today.arr_converted.converted == Decimal("150000.00")


def test_a_missing_rate_is_said_not_guessed(frozen, lead_lena, am_alice):
    _world(am_alice)
    ExchangeRate.objects.all().delete()
    view = selectors.portfolio(user=lead_lena, as_of=dt.date(2026, 3, 10))
    assert view.arr_converted.missing == ("USD",) and view.per_am[0].arr_base is None


def test_scores_where_stored_and_a_note_where_none(frozen, client, lead_lena, am_alice):
    steady, *_ = _world(am_alice)
    model = HealthModel.objects.create(version=1, components=[{"kind": "engagement", "weight": 1}], is_active=True)
    stored = dt.date(2026, 6, 1)
    HealthScore.objects.create(client=steady, date=stored, model=model, score=30, band="red", coverage=1, components=[])
    view = selectors.portfolio(user=lead_lena, as_of=stored)
    assert view.scores_stored and view.bands[0][:2] == ("red", 1)
    other = selectors.portfolio(user=lead_lena, as_of=dt.date(2026, 6, 3))
    assert not other.scores_stored and other.bands == [] and other.latest_scored_before == stored
    client.force_login(lead_lena)
    page = client.get("/portfolio/", {"as_of": "2026-06-03"}).content.decode()
    assert "No health scores were stored for June 3, 2026" in page and "as_of=2026-06-01" in page  # the link keeps ISO
    assert "Accounts" in page and "150,000 EUR ARR" in page.replace("\xa0", " ")


def test_the_trend_has_twelve_weekly_points_whatever_weekday_scores_were_stored(frozen, lead_lena, am_alice):
    steady, *_ = _world(am_alice)
    model = HealthModel.objects.create(version=1, components=[{"kind": "engagement", "weight": 1}], is_active=True)
    # Scores on scattered days: one every 9 days over 3 months (never on the as-of weekday for most weeks).
    days = [TODAY - dt.timedelta(days=n) for n in range(0, 84, 9)]
    HealthScore.objects.bulk_create(
        HealthScore(client=steady, date=d, model=model, score=50 + i, band="yellow", coverage=1, components=[])
        for i, d in enumerate(days)
    )
    view = selectors.portfolio(user=lead_lena, as_of=TODAY)
    assert len(view.trend) == 12 and len(view.chart_data["trend"]) == 12
    assert [d for d, _ in view.trend] == [TODAY - dt.timedelta(weeks=k) for k in range(11, -1, -1)]
    assert sum(1 for _, avg in view.trend if avg is not None) >= 9  # every week holding a score has its point
    assert view.trend[-1][1] == 50.0


def test_a_renewal_that_passed_yesterday_shows_as_overdue(frozen, client, lead_lena, am_alice):
    steady, *_ = _world(am_alice)
    Client.objects.filter(pk=steady.pk).update(renewal_date=TODAY - dt.timedelta(days=1))
    view = selectors.portfolio(user=lead_lena, as_of=TODAY)
    assert [(r.name, r.days_overdue) for r in view.renewals_overdue] == [("Steady", 1)]
    client.force_login(lead_lena)
    page = client.get("/portfolio/").content.decode()
    assert 'id="renewals-overdue"' in page and "1 day overdue" in page


@pytest.mark.parametrize("size", [2, 30])
def test_a_past_day_costs_constant_queries(frozen, client, lead_lena, am_alice, size, django_assert_max_num_queries):
    for i in range(size):
        c = ClientFactory(name=f"Client {i}", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
        _lifecycle(c, (dt.date(2025, 1, 1), ClientStatus.ACTIVE))
        _contract(c, f"C-{i}", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 10_000, "USD" if i % 2 else "EUR")
    ExchangeRate.objects.create(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("0.9"))
    client.force_login(lead_lena)
    with django_assert_max_num_queries(22):
        response = client.get("/portfolio/", {"as_of": "2026-03-10"})
    assert response.context["view"].clients == size
