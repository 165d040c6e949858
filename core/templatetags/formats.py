"""Template side of core.formats: ``{% load formats %}`` then ``{{ value|day }}``, ``{% money amount currency %}``,
``{{ n|days_late }}``."""

from django import template

from core.formats import days_ago as _days_ago
from core.formats import days_late as _days_late
from core.formats import format_amount, format_day, format_money

register = template.Library()


@register.filter
def day(value) -> str:
    return format_day(value)


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
