"""One date format and one money format, in the active language (core.formats)."""

import datetime as dt
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from core.formats import days_late, format_day, format_money


def test_day_and_money_follow_the_active_language():
    day = dt.date(2027, 6, 24)
    with translation.override("en"):
        assert format_day(day) == "June 24, 2027"
        assert format_money(Decimal("1234567.891"), "EUR") == "1,234,568 EUR"
    with translation.override("ru"):
        assert "2027" in format_day(day) and "June" not in format_day(day)
        assert format_money(Decimal("1234567"), "EUR").endswith(" EUR")
        assert "," not in format_money(Decimal("1234567"), "EUR")
    assert format_day(None) == "—" and format_money(None, "EUR") == "—"
    assert format_day("2026-11-14") == format_day(dt.date(2026, 11, 14))  # ISO days kept in JSON


def test_days_late_has_its_plural_forms():
    with translation.override("en"):
        assert days_late(1) == "1 day late"
        assert days_late(3) == "3 days late"


def test_template_side():
    html = Template("{% load formats %}{{ d|day }} · {% money a 'USD' %}").render(
        Context({"d": dt.date(2026, 1, 2), "a": 1500})
    )
    with translation.override("en"):
        assert html == "Jan. 2, 2026 · 1,500 USD" or html == "January 2, 2026 · 1,500 USD"
