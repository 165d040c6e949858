"""core.money: totals per currency, never added across currencies."""

from __future__ import annotations

from decimal import Decimal

from core.money import MoneyTotals


def test_amounts_add_up_per_currency_and_print_side_by_side():
    totals = MoneyTotals.of([(Decimal("100000"), "EUR"), (Decimal("10000000"), "jpy"), (None, "USD")])
    totals.add(Decimal("0.40"), "EUR")
    assert dict(totals) == {"EUR": Decimal("100000.40"), "JPY": Decimal("10000000")}
    assert str(totals) == "100,000 EUR · 10,000,000 JPY"
    assert totals.largest() == Decimal("10000000")
    both = totals + MoneyTotals({"EUR": 5, "GBP": "7.5"})
    assert dict(both) == {"EUR": Decimal("100005.40"), "GBP": Decimal("7.5"), "JPY": Decimal("10000000")}
    assert dict(totals) == {"EUR": Decimal("100000.40"), "JPY": Decimal("10000000")}  # unchanged
    assert both.as_json() == {"EUR": 100005.4, "GBP": 7.5, "JPY": 10000000.0}
    assert str(MoneyTotals()) == "none" and MoneyTotals() == {}
