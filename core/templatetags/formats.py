"""Template side of core.formats: ``{% load formats %}`` then ``{{ value|day }}`` (a day), ``{{ value|moment }}``
(a date and time), ``{{ value|weekday }}`` (a heading with the weekday), ``{% money amount currency %}``,
``{{ n|days_late }}``. A month is ``{{ value|date:"YEAR_MONTH_FORMAT" }}``, a time of day ``{{ value|time }}``.
Machines keep ISO: ``<input type="date" value>``, ``<time datetime>``, ``data-*``, URLs, JSON, exports."""

from django import template

from core.formats import days_ago as _days_ago
from core.formats import days_late as _days_late
from core.formats import format_amount, format_day, format_moment, format_money, format_weekday

register = template.Library()


@register.filter
def day(value) -> str:
    return format_day(value)


@register.filter
def moment(value) -> str:
    return format_moment(value)


@register.filter
def weekday(value) -> str:
    return format_weekday(value)


@register.filter
def days(values) -> str:
    """Several days in a row, each in the reader's format: ``{{ conversion.rate_dates|days }}``."""
    return ", ".join(format_day(value) for value in values or ())


@register.filter
def amount(value) -> str:
    return format_amount(value)


@register.simple_tag
def money(value, currency: str = "", decimals: int = 0) -> str:
    return format_money(value, currency, decimals=decimals)


@register.filter
def days_late(value) -> str:
    return _days_late(int(value))


@register.filter
def days_ago(value) -> str:
    return _days_ago(int(value))
