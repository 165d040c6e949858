"""core.dates: the one home of the quarter and of the local day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.dates import Quarter, local_day, recent_quarters, start_of_local_day


def test_quarter_of_a_date_its_bounds_neighbours_and_label():
    q = Quarter.containing(dt.date(2026, 12, 31))
    assert (q.key, q.label, q.start, q.end) == ("2026-Q4", "Q4 2026", dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert q.next() == Quarter(2027, 1) and q.previous().previous() == Quarter(2026, 2)
    assert dt.date(2026, 11, 5) in q and dt.date(2027, 1, 1) not in q
    assert recent_quarters(dt.date(2026, 2, 1), back=1, ahead=1) == [
        Quarter(2026, 2),
        Quarter(2026, 1),
        Quarter(2025, 4),
    ]


def test_the_local_day_is_the_day_of_settings_time_zone(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    late_utc = dt.datetime(2026, 3, 31, 20, 0, tzinfo=dt.UTC)  # already 1 April, 05:00 in Tokyo
    assert local_day(late_utc) == dt.date(2026, 4, 1)
    assert start_of_local_day(dt.date(2026, 4, 1)) == dt.datetime(2026, 4, 1, tzinfo=ZoneInfo("Asia/Tokyo"))
