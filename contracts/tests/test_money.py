"""Conversion with the rate of the day described; a missing rate is missing, never guessed."""

import datetime as dt
from decimal import Decimal

import pytest

from contracts import selectors, services
from contracts.models import ExchangeRate
from core.errors import ApplicationError, NotAllowedError
from core.money import MoneyTotals

D = dt.date


@pytest.fixture
def rates(admin_ada, settings):
    settings.BASE_CURRENCY = "EUR"
    services.exchange_rate_set(by=admin_ada, currency="usd", date=D(2026, 1, 1), rate=Decimal("0.90"))
    services.exchange_rate_set(by=admin_ada, currency="USD", date=D(2026, 3, 1), rate=Decimal("0.80"))
    return admin_ada


def test_converts_with_the_latest_rate_on_or_before_the_day_and_says_which(rates):
    totals = MoneyTotals({"EUR": "1000", "USD": "1000.50"})

    conversion = selectors.convert(totals, on_date=D(2026, 2, 15))

    assert conversion.complete
    assert conversion.amount == Decimal("1900.45")  # 1000 + 1000.50 × 0.90
    assert isinstance(conversion.amount, Decimal)
    assert [(r.currency, r.rate_date) for r in conversion.rates] == [("USD", D(2026, 1, 1))]
    assert "USD Jan. 1, 2026" in str(conversion)  # the rate's day, in the reader's DATE_FORMAT
    # An as-of view of a later day uses that day's rate.
    assert selectors.convert(totals, on_date=D(2026, 3, 1)).amount == Decimal("1800.40")


def test_a_missing_rate_is_shown_as_missing_never_guessed(rates):
    totals = MoneyTotals({"EUR": "100", "USD": "100", "JPY": "10000"})

    conversion = selectors.convert(totals, on_date=D(2026, 2, 1))

    assert not conversion.complete
    assert conversion.amount is None
    assert conversion.missing == ("JPY",)
    assert conversion.converted == Decimal("190.00")  # what could be converted, never presented as the total
    assert "JPY" in str(conversion) and "10,000 JPY" in str(conversion)


def test_a_rate_of_a_later_day_is_never_used_for_an_earlier_one(rates):
    conversion = selectors.convert(MoneyTotals({"USD": "10"}), on_date=D(2025, 12, 31))
    assert conversion.missing == ("USD",) and conversion.amount is None


def test_the_base_currency_needs_no_rate(rates):
    assert selectors.convert(MoneyTotals({"EUR": "5"}), on_date=D(2020, 1, 1)).amount == Decimal("5.00")
    assert selectors.convert(MoneyTotals(), on_date=D(2020, 1, 1)).amount == Decimal("0.00")


def test_only_admins_load_rates_and_a_rate_is_positive(rates, am_alice):
    with pytest.raises(NotAllowedError):
        services.exchange_rate_set(by=am_alice, currency="USD", date=D(2026, 1, 2), rate=Decimal("1"))
    with pytest.raises(ApplicationError):
        services.exchange_rate_set(by=rates, currency="USD", date=D(2026, 1, 2), rate=Decimal("0"))
    with pytest.raises(ApplicationError):
        services.exchange_rate_set(by=rates, currency="EUR", date=D(2026, 1, 2), rate=Decimal("1"))


def test_setting_the_same_day_again_corrects_it(rates):
    _, action = services.exchange_rate_set(by=rates, currency="USD", date=D(2026, 1, 1), rate=Decimal("0.91"))
    assert action == "updated"
    assert ExchangeRate.objects.get(currency="USD", date=D(2026, 1, 1)).rate == Decimal("0.91")
    _, action = services.exchange_rate_set(by=rates, currency="USD", date=D(2026, 1, 1), rate=Decimal("0.91"))
    assert action == "unchanged"
