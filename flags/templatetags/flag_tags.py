"""Formatting of back-test figures: shares as percentages, ratios with one decimal, '—' where undefined."""

from django import template
from django.utils.formats import number_format

register = template.Library()
NONE = "—"


@register.filter
def percent(value) -> str:
    """0.1234 -> '12.3 %' (locale-aware); None -> '—'."""
    if value is None or value == "":
        return NONE
    return f"{number_format(float(value) * 100, 1, use_l10n=True)} %"


@register.filter
def ratio(value) -> str:
    """2.345 -> '2.3' (locale-aware); None -> '—'."""
    if value is None or value == "":
        return NONE
    return number_format(float(value), 1, use_l10n=True)
