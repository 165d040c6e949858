"""End to end in two currencies: EUR and USD contracts, USD rates on different days; the portfolio's renewals,
the forecast and the board convert with the rate of the day (never add raw); a missing rate is shown as
missing; a churned renewal is the client's churn event with its reason."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from clients.models import ClientStatus, ClientStatusChange
from contracts import selectors
from contracts import services as contract_services
from contracts.models import Renewal
from flags import services as flag_services
from tests.factories import ClientFactory

TODAY = dt.date(2026, 5, 10)  # Q2: renewals due in May and June are "this quarter", August "next"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 5, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def _contract(user, client, number, value, currency, end):
    start = contract_services.add_months(end + dt.timedelta(days=1), -12)
    return contract_services.contract_create(
        by=user, client=client, today=TODAY, number=number, start_date=start, term_months=12,
        value=Decimal(value), currency=currency, status="active",
    )  # fmt: skip


@pytest.fixture
def world(am_alice, alice_client, admin_ada):
    contract_services.exchange_rate_set(by=admin_ada, currency="USD", date=dt.date(2026, 3, 1), rate=Decimal("0.80"))
    contract_services.exchange_rate_set(by=admin_ada, currency="USD", date=dt.date(2026, 5, 5), rate=Decimal("0.90"))
    # A rate after today must not be used for today's totals.
    contract_services.exchange_rate_set(by=admin_ada, currency="USD", date=dt.date(2026, 5, 20), rate=Decimal("2"))
    us_client = ClientFactory(owner=am_alice, team=am_alice.team, name="US Corp", currency="USD")
    _contract(am_alice, alice_client, "EUR-1", "12000", "EUR", dt.date(2026, 6, 15))
    _contract(am_alice, us_client, "USD-1", "10000", "USD", dt.date(2026, 5, 31))
    _contract(am_alice, us_client, "USD-2", "4000", "USD", dt.date(2026, 8, 20))
    contract_services.renewals_open_due(today=TODAY, horizon_days=120)
    renewals = {r.contract.number: r for r in Renewal.objects.select_related("contract", "client")}
    contract_services.renewal_update(
        renewal=renewals["EUR-1"], by=am_alice, expected_version=1, today=TODAY, stage="committed",
        forecast_call="commit", forecast_amount=Decimal("12000"),
    )  # fmt: skip
    contract_services.renewal_update(
        renewal=renewals["USD-1"], by=am_alice, expected_version=1, today=TODAY, stage="in_progress",
        forecast_call="best_case", forecast_amount=Decimal("8000"),
    )  # fmt: skip
    flag_services.renewal_likelihoods_refresh(on_date=TODAY, client_ids=[alice_client.pk, us_client.pk])
    return {r.contract.number: r for r in Renewal.objects.select_related("contract", "client")}


def test_portfolio_renewals_and_forecast_are_converted(world, lead_lena, client):
    this, following = selectors.portfolio_renewals(user=lead_lena, today=TODAY)
    assert this.count == 2 and following.count == 1
    # 12,000 EUR + 10,000 USD at 0.90 (the rate of 5 May, the latest on or before today) = 21,000 EUR, not 22,000.
    assert this.renewing.complete and this.renewing.converted == Decimal("21000.00")
    assert this.renewing.rate_dates == (dt.date(2026, 5, 5),)
    forecast = {call: amount.converted for call, _label, amount in this.forecast}
    assert forecast == {"commit": Decimal("12000.00"), "best_case": Decimal("7200.00"), "pipeline": Decimal("0.00")}
    eur, usd = world["EUR-1"], world["USD-1"]
    assert eur.likelihood is not None and usd.likelihood is not None
    expected = Decimal("12000") * eur.likelihood / 100 + Decimal("8000") * usd.likelihood / 100 * Decimal("0.90")
    assert this.weighted.converted == expected.quantize(Decimal("0.01"))
    assert following.renewing.converted == Decimal("3600.00")

    client.force_login(lead_lena)
    page = client.get(reverse("dashboards:portfolio")).content.decode()
    assert "Renewals and forecast" in page and "21,000 EUR" in page and "22,000" not in page


def test_the_board_and_a_missing_rate(world, am_alice, client):
    gbp_client = ClientFactory(owner=am_alice, team=am_alice.team, name="UK Ltd", currency="GBP")
    _contract(am_alice, gbp_client, "GBP-1", "5000", "GBP", dt.date(2026, 6, 1))
    contract_services.renewals_open_due(today=TODAY, horizon_days=120)
    client.force_login(am_alice)
    columns = {c.stage: c for c in client.get(reverse("dashboards:renewals_board")).context["columns"]}
    assert columns["committed"].converted.converted == Decimal("12000.00")
    assert columns["in_progress"].converted.converted == Decimal("9000.00")
    not_started = columns["not_started"].converted  # USD-2 (4,000 USD) and GBP-1 without any rate
    assert not not_started.complete and not_started.missing == ("GBP",) and not_started.amount is None
    assert "no rate for GBP" in str(not_started)
    this, _next = selectors.portfolio_renewals(user=am_alice, today=TODAY)
    assert this.renewing.missing == ("GBP",) and this.renewing.converted == Decimal("21000.00")


def test_a_churned_renewal_is_the_clients_churn_with_its_reason(world, am_alice):
    renewal = world["USD-1"]
    us_client = renewal.client
    # USD-2 keeps the client past USD-1's end: churning USD-1 alone is not the client's churn.
    contract_services.renewal_update(
        renewal=renewal, by=am_alice, expected_version=renewal.version, today=TODAY, stage="churned",
        churn_reason="Moved to a cheaper tool", churn_category="price",
    )  # fmt: skip
    assert not ClientStatusChange.objects.filter(client=us_client, status=ClientStatus.CHURNED).exists()
    last = Renewal.objects.get(contract__number="USD-2")
    contract_services.renewal_update(
        renewal=last, by=am_alice, expected_version=last.version, today=TODAY, stage="churned",
        churn_reason="Budget frozen for the year", churn_category="budget",
    )  # fmt: skip
    change = ClientStatusChange.objects.get(client=us_client, status=ClientStatus.CHURNED)
    assert (change.churn_reason, change.reason, change.effective_on) == ("budget", "Budget frozen for the year", TODAY)
    us_client.refresh_from_db()
    assert us_client.status == ClientStatus.CHURNED
