"""The one priority of work: which client and which flag come first.

My day (one line per client) and the Flags page both rank with :func:`priority`, so the two lists agree: a client
whose only reason is one flag has exactly that flag's priority. The figure is a product of plain factors, each
shown to the user (the tooltip on My day, the Flags page):

- severity: Low 1, Medium 2, High 4, Critical 8;
- money at stake: 1 + ARR / 100,000 in the base currency (settings.BASE_CURRENCY, converted with the exchange
  rate of the day through contracts.selectors), counted up to 2,000,000; with no rate for the client's currency the
  factor is 1 (unknown, never a raw sum of currencies);
- renewal proximity: up to ×1.5 as the renewal date comes within 90 days (×1.5 once it has passed unrenewed);
- health drop: 1 + points lost in the last 14 days / 20;
- on My day, more reasons for the same client: +25 % per further reason, up to ×2.

The pure part (:func:`priority`) takes numbers; :func:`client_stakes` reads them for many clients in a fixed number
of queries (one for the scores, two for the exchange rates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formats import format_amount
from flags.models import Severity
from health.models import HealthScore

SEVERITY_WEIGHT = {1: 1.0, 2: 2.0, 3: 4.0, 4: 8.0}
MONEY_UNIT = 100_000.0  # base-currency units per +1 of the money factor
MONEY_CAP = 2_000_000.0
RENEWAL_WINDOW_DAYS = 90
RENEWAL_MAX_BOOST = 0.5
HEALTH_DROP_DAYS = 14
HEALTH_DROP_UNIT = 20.0
EXTRA_REASON_BOOST = 0.25
MAX_REASON_FACTOR = 2.0


@dataclass(frozen=True)
class Stakes:
    """What a client has at stake today: ARR (and in the base currency), renewal, health drop."""

    client_id: int
    arr: Decimal
    currency: str
    money: Decimal | None  # ARR in the base currency; None when the currency has no rate
    base_currency: str
    days_to_renewal: int | None
    health_drop: float | None  # points lost over HEALTH_DROP_DAYS (negative: it rose); None: no scores to compare


@dataclass(frozen=True)
class Priority:
    score: float
    severity: int
    severity_factor: float
    stakes: Stakes
    money_factor: float
    renewal_factor: float
    health_factor: float
    reasons: int = 1
    reasons_factor: float = 1.0

    def explanation(self) -> list[str]:
        """The factors in words and numbers, in the user's language (the tooltip)."""
        s = self.stakes
        lines = [
            _("Severity %(severity)s: ×%(factor)s")
            % {"severity": _severity_label(self.severity), "factor": f"{self.severity_factor:g}"}
        ]
        if s.money is None:
            lines.append(
                _("ARR %(arr)s %(currency)s: no exchange rate to %(base)s, not counted (×1)")
                % {"arr": format_amount(s.arr), "currency": s.currency, "base": s.base_currency}
            )
        elif s.currency != s.base_currency:
            lines.append(
                _("Money at stake %(money)s %(base)s (ARR %(arr)s %(currency)s): ×%(factor)s")
                % {
                    "money": format_amount(s.money),
                    "base": s.base_currency,
                    "arr": format_amount(s.arr),
                    "currency": s.currency,
                    "factor": f"{self.money_factor:.2f}",
                }
            )
        else:
            lines.append(
                _("Money at stake %(money)s %(base)s: ×%(factor)s")
                % {"money": format_amount(s.money), "base": s.base_currency, "factor": f"{self.money_factor:.2f}"}
            )
        if s.days_to_renewal is not None and s.days_to_renewal < 0:
            lines.append(
                ngettext(
                    "Renewal date passed %(days)s day ago: ×%(factor)s",
                    "Renewal date passed %(days)s days ago: ×%(factor)s",
                    -s.days_to_renewal,
                )
                % {"days": -s.days_to_renewal, "factor": f"{self.renewal_factor:.2f}"}
            )
        elif s.days_to_renewal is not None and s.days_to_renewal <= RENEWAL_WINDOW_DAYS:
            lines.append(
                ngettext(
                    "Renewal in %(days)s day: ×%(factor)s",
                    "Renewal in %(days)s days: ×%(factor)s",
                    s.days_to_renewal,
                )
                % {"days": s.days_to_renewal, "factor": f"{self.renewal_factor:.2f}"}
            )
        else:
            lines.append(_("No renewal within %(days)s days: ×1") % {"days": RENEWAL_WINDOW_DAYS})
        if s.health_drop is None:
            lines.append(_("Health: no score to compare: ×1"))
        elif s.health_drop > 0:
            lines.append(
                _("Health down %(points)s points in %(days)s days: ×%(factor)s")
                % {"points": f"{s.health_drop:.0f}", "days": HEALTH_DROP_DAYS, "factor": f"{self.health_factor:.2f}"}
            )
        else:
            lines.append(_("Health not falling over %(days)s days: ×1") % {"days": HEALTH_DROP_DAYS})
        if self.reasons > 1:
            lines.append(
                _("%(count)s reasons for this client: ×%(factor)s")
                % {"count": self.reasons, "factor": f"{self.reasons_factor:.2f}"}
            )
        lines.append(_("Priority %(score)s") % {"score": f"{self.score:.1f}"})
        return lines

    @property
    def tooltip(self) -> str:
        return "\n".join(self.explanation())


def _severity_label(severity: int) -> str:
    try:
        return str(Severity(severity).label)
    except ValueError:
        return str(severity)


def priority(*, severity: int, stakes: Stakes, reasons: int = 1) -> Priority:
    """Pure: the priority of ``severity`` on a client with these stakes (``reasons``: how many reasons the line has)."""
    severity_factor = SEVERITY_WEIGHT.get(severity, 1.0)
    money_factor = 1.0 + min(float(stakes.money), MONEY_CAP) / MONEY_UNIT if stakes.money and stakes.money > 0 else 1.0
    days = stakes.days_to_renewal
    if days is None or days > RENEWAL_WINDOW_DAYS:
        renewal_factor = 1.0
    elif days < 0:
        renewal_factor = 1.0 + RENEWAL_MAX_BOOST
    else:
        renewal_factor = 1.0 + RENEWAL_MAX_BOOST * (1 - days / RENEWAL_WINDOW_DAYS)
    health_factor = 1.0 + max(0.0, stakes.health_drop or 0.0) / HEALTH_DROP_UNIT
    reasons = max(1, reasons)
    reasons_factor = min(MAX_REASON_FACTOR, 1.0 + EXTRA_REASON_BOOST * (reasons - 1))
    score = severity_factor * money_factor * renewal_factor * health_factor * reasons_factor
    return Priority(
        score=round(score, 4),
        severity=severity,
        severity_factor=severity_factor,
        stakes=stakes,
        money_factor=money_factor,
        renewal_factor=renewal_factor,
        health_factor=health_factor,
        reasons=reasons,
        reasons_factor=reasons_factor,
    )


def health_drops(*, client_ids: Iterable[int], today: dt.date, days: int = HEALTH_DROP_DAYS) -> dict[int, float]:
    """Points lost over ``days`` per client (positive: the score fell), in one query."""
    ids = list(set(client_ids))
    if not ids:
        return {}
    then = today - dt.timedelta(days=days)
    values: dict[int, dict[dt.date, float]] = {}
    for client_id, date, score in HealthScore.objects.filter(client_id__in=ids, date__in=[today, then]).values_list(
        "client_id", "date", "score"
    ):
        values.setdefault(client_id, {})[date] = score
    return {pk: v[then] - v[today] for pk, v in values.items() if today in v and then in v}


def client_stakes(*, clients: Iterable, today: dt.date) -> dict[int, Stakes]:
    """Stakes of these clients (objects with pk, arr, currency, renewal_date), in three queries whatever their
    number."""
    from contracts.selectors import rates_on

    clients = list(clients)
    base = settings.BASE_CURRENCY
    rates = rates_on(currencies={(c.currency or base).upper() for c in clients}, on_date=today)
    drops = health_drops(client_ids=[c.pk for c in clients], today=today)
    result = {}
    for client in clients:
        currency = (client.currency or base).upper()
        arr = Decimal(client.arr or 0)
        rate = rates.get(currency)
        result[client.pk] = Stakes(
            client_id=client.pk,
            arr=arr,
            currency=currency,
            money=None if rate is None else arr * rate.rate,
            base_currency=base,
            days_to_renewal=(client.renewal_date - today).days if client.renewal_date else None,
            health_drop=drops.get(client.pk),
        )
    return result


def flags_ranked(flags: Iterable, *, today: dt.date) -> list[tuple[object, Priority]]:
    """Flags (with their client loaded) and their priority, highest first; ties: the older flag first."""
    flags = list(flags)
    stakes = client_stakes(clients={f.client_id: f.client for f in flags}.values(), today=today)
    pairs = [(flag, priority(severity=flag.severity, stakes=stakes[flag.client_id])) for flag in flags]
    pairs.sort(key=lambda pair: (-pair[1].score, pair[0].opened_on, pair[0].pk))
    return pairs


# --- expected value, for the weekly cap ------------------------------------------------------------------------

DEFAULT_PRECISION = 0.1  # the prior when no rule has a scorecard yet
PRECISION_PRIOR_WEIGHT = 10  # the prior counts as this many flags


def precision_estimate(*, followed: int, warnings: int, prior: float) -> float:
    """A rule's precision from its back-test (``followed`` of ``warnings`` flags were followed by churn or a downgrade),
    shrunk toward ``prior`` so a rule with few flags, or none, is neither trusted blindly nor ignored."""
    return (followed + PRECISION_PRIOR_WEIGHT * prior) / (warnings + PRECISION_PRIOR_WEIGHT)


def expected_value(*, precision: float, money: Decimal | None) -> float:
    """What pushing the flag is worth: the chance it is right × the money at stake in the base currency (a client
    whose currency has no rate counts 0 and ranks by severity among its equals)."""
    return precision * float(money or 0)
