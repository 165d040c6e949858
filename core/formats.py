"""The one date format and the one money format of the product, in the active language (``django.utils.formats``).

Pages, e-mails and exports that people read call these (templates through the ``formats`` tag library:
``{{ value|day }}``, ``{{ value|moment }}``, ``{% money amount currency %}``), so "June 24, 2027", "2026-11-14"
and "11-25" never appear on one screen: each language's DATE_FORMAT (DATETIME_FORMAT for a moment) decides, and
amounts are grouped the same way with no decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

EMPTY = "—"


def format_day(value: dt.date | dt.datetime | None) -> str:
    """A day in the active language's DATE_FORMAT (a datetime is shown as its local day)."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str):  # an ISO day kept in JSON (a handoff's commitments)
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "DATE_FORMAT")


def format_moment(value: dt.datetime | None) -> str:
    """A moment (a date and a time) in the active language's DATETIME_FORMAT, in the reader's time zone:
    'Nov. 3, 2026, 2:05 p.m.', '3 ноября 2026 г. 14:05', '2026年11月3日 14:05'. A date alone reads as a day.

    Machines keep ISO (``<time datetime>``, ``data-*``, URLs, JSON, CSV/ICS exports); this is for people."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str):  # an ISO moment kept in JSON (a snapshot's taken_at)
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return format_day(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


def format_weekday(value: dt.date | dt.datetime | None) -> str:
    """A day with its weekday, for headings: 'Tuesday, Nov. 3, 2026' (the order is the translators': the
    weekday comes from the language's calendar, the day from its DATE_FORMAT)."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return pgettext("a heading: weekday and day, e.g. Tuesday, Nov. 3, 2026", "%(weekday)s, %(day)s") % {
        "weekday": formats.date_format(value, "l"),
        "day": format_day(value),
    }


def format_amount(amount: Decimal | int | float | str | None, *, decimals: int = 0) -> str:
    """A number grouped by the active language (12,500 / 12 500 / 12.500), rounded to ``decimals``."""
    if amount is None or amount == "":
        return EMPTY
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)  # number_format truncates
    return formats.number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_figure(value: float | int | None, unit: str = "") -> str:
    """A measured figure (a KPI value, a score) in a sentence: whole at 100 and above or when whole, else one
    decimal, grouped by the active language, with its unit after it."""
    if value is None:
        return EMPTY
    decimals = 0 if abs(value) >= 100 or float(value).is_integer() else 1
    return f"{format_amount(value, decimals=decimals)} {unit}".strip()


def format_percent_change(change: float) -> str:
    """A relative change as a signed whole percentage: 0.25 -> '+25%', -0.4 -> '-40%'."""
    return f"{'+' if change >= 0 else '-'}{format_amount(abs(change) * 100)}%"


def format_money(amount: Decimal | int | float | str | None, currency: str = "", *, decimals: int = 0) -> str:
    """An amount with its currency code after it, always: '12,500 EUR'."""
    if amount is None or amount == "":
        return EMPTY
    text = format_amount(amount, decimals=decimals)
    return f"{text} {currency}".strip() if currency else text


def format_days(days: int) -> str:
    """'1 day', '12 days' (plural forms of the active language)."""
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def format_every_days(days: int) -> str:
    """A cadence: 'every 1 day', 'every 14 days' (plural forms of the active language)."""
    return ngettext("every %(count)d day", "every %(count)d days", days) % {"count": days}


def format_period(days: int) -> str:
    """A span of days, in weeks when it is whole weeks of two or more: '4 weeks', '10 days'."""
    if days % 7 == 0 and days >= 14:
        return ngettext("%(count)d week", "%(count)d weeks", days // 7) % {"count": days // 7}
    return format_days(days)


def days_late(days: int) -> str:
    """'1 day late', '3 days late' (plural forms of the active language)."""
    return ngettext("%(count)d day late", "%(count)d days late", days) % {"count": days}


def days_ago(days: int) -> str:
    if days == 0:
        return _("today")
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
