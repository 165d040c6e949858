"""Money totals: amounts kept per currency, never added across currencies.

Until exchange rates convert amounts to the base currency, 100,000 EUR and 10,000,000 JPY are two amounts,
not 10,100,000 of anything. Every total the dashboards show (ARR per band, at risk, per account manager) is a
``MoneyTotals``; templates print it as "100,000 EUR · 10,000,000 JPY".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from django.utils.translation import gettext as _

from core.formats import format_money

SEPARATOR = " · "


class MoneyTotals(Mapping[str, Decimal]):
    """Currency code -> total (Decimal). Adding two totals adds each currency on its own."""

    def __init__(self, amounts: Mapping[str, Decimal | int | str] | None = None) -> None:
        self._amounts: dict[str, Decimal] = {}
        for currency, amount in (amounts or {}).items():
            self.add(amount, currency)

    @classmethod
    def of(cls, rows: Iterable[tuple[Decimal | int | str | None, str]]) -> MoneyTotals:
        """The totals of (amount, currency) pairs, e.g. the ARR and currency of some clients."""
        totals = cls()
        for amount, currency in rows:
            totals.add(amount, currency)
        return totals

    def add(self, amount: Decimal | int | str | None, currency: str) -> None:
        if amount is None:
            return
        code = (currency or "").strip().upper()
        self._amounts[code] = self._amounts.get(code, Decimal(0)) + Decimal(amount)

    def __add__(self, other: MoneyTotals) -> MoneyTotals:
        total = MoneyTotals(self)
        for currency, amount in other.items():
            total.add(amount, currency)
        return total

    def __getitem__(self, currency: str) -> Decimal:
        return self._amounts[currency]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._amounts))

    def __len__(self) -> int:
        return len(self._amounts)

    def largest(self) -> Decimal:
        """The biggest single-currency amount: a sort key that never adds currencies together."""
        return max(self._amounts.values(), default=Decimal(0))

    def as_json(self) -> dict[str, float]:
        """For charts: one series per currency."""
        return {currency: float(amount) for currency, amount in self.items()}

    def __str__(self) -> str:
        if not self._amounts:
            return _("none")
        return SEPARATOR.join(format_money(amount, currency) for currency, amount in self.items())

    def __repr__(self) -> str:
        return f"MoneyTotals({dict(self.items())!r})"
