"""The one date format and the one money format of the product, in the active language (``django.utils.formats``).

Pages, e-mails and exports that people read call these (templates through the ``formats`` tag library:
``{{ value|day }}``, ``{% money amount currency %}``), so "June 24, 2027", "2026-11-14" and "11-25" never appear
on one screen: each language's DATE_FORMAT decides, and amounts are grouped the same way with no decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


def format_money(amount: Decimal | int | float | str | None, currency: str = "", *, decimals: int = 0) -> str:
    """An amount with its currency code after it, always: '12,500 EUR'."""
    if amount is None or amount == "":
        return EMPTY
    text = format_amount(amount, decimals=decimals)
    return f"{text} {currency}".strip() if currency else text


def days_late(days: int) -> str:
    """'1 day late', '3 days late' (plural forms of the active language)."""
    return ngettext("%(count)d day late", "%(count)d days late", days) % {"count": days}


def days_ago(days: int) -> str:
    if days == 0:
        return _("today")
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
