"""One date format and one money format, in the active language (core.formats)."""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.template import Context, Template
from django.utils import timezone, translation

from core.formats import days_late, format_day, format_moment, format_money, format_weekday


def test_day_and_money_follow_the_active_language():
    day = dt.date(2027, 6, 24)
    with translation.override("en"):
        assert format_day(day) == "June 24, 2027"
        assert format_money(Decimal("1234567.891"), "EUR") == "1,234,568 EUR"
    with translation.override("ru"):
        assert "2027" in format_day(day) and "June" not in format_day(day)
        assert format_money(Decimal("1234567"), "EUR").endswith(" EUR")
        assert "," not in format_money(Decimal("1234567"), "EUR")
    with translation.override("zh-hans"):  # grouped by thousands, as Chinese business documents write money
        assert format_money(Decimal("413500"), "EUR") == "413,500 EUR"
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


def test_a_moment_reads_in_the_readers_language_and_time_zone():
    moment = dt.datetime(2026, 11, 3, 14, 5, tzinfo=dt.UTC)
    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo("Europe/Moscow")):
        assert format_moment(moment) == "Nov. 3, 2026, 5:05 p.m."  # 14:05 UTC is 17:05 in Moscow
    with translation.override("ru"), timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert format_moment(moment) == "3 ноября 2026 г. 14:05"  # the month declined, a 24-hour clock
    with translation.override("zh-hans"), timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert format_moment(moment) == "2026年11月3日 14:05"
        assert format_moment("2026-11-03T14:05:00+00:00") == format_moment(moment)  # kept as ISO in a snapshot
    with translation.override("en"):
        assert format_moment(None) == "—"
        assert format_moment(dt.date(2026, 11, 3)) == format_day(dt.date(2026, 11, 3))  # a date alone is a day


def test_the_weekday_heading_uses_the_languages_calendar():
    day = dt.date(2026, 11, 3)
    with translation.override("en"):
        assert format_weekday(day) == "Tuesday, Nov. 3, 2026"
    with translation.override("ru"):
        assert format_weekday(day).startswith("Вторник") and "ноября" in format_weekday(day)
    with translation.override("zh-hans"):
        assert "星期二" in format_weekday(day) and "2026年11月3日" in format_weekday(day)


def test_template_side_of_moments_and_weekdays():
    html = Template("{% load formats %}{{ m|moment }} · {{ d|weekday }}")
    context = Context({"m": dt.datetime(2026, 1, 2, 9, 30, tzinfo=dt.UTC), "d": dt.date(2026, 1, 2)})
    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert html.render(context) == "Jan. 2, 2026, 9:30 a.m. · Friday, Jan. 2, 2026"
