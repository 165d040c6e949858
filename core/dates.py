"""Dates every app shares: the local day, ISO days passed to tasks, calendar quarters.

This is the one home of the quarter: reviews, the rules ("no review this quarter") and the dashboards
all ask ``Quarter.containing(day)`` instead of doing the month arithmetic themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

_QUARTER_LABEL = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


def day_or_today(value: str | None) -> dt.date:
    """A task's ISO date argument, or the local day when none was given."""
    return dt.date.fromisoformat(value) if value else timezone.localdate()


def local_day(moment: dt.datetime) -> dt.date:
    """The calendar day of ``moment`` in settings.TIME_ZONE: the day the account manager lives in."""
    return timezone.localtime(moment).date()


def start_of_local_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in settings.TIME_ZONE, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter (Q1 = January to March)."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(_("A quarter is 1 to 4, not %(quarter)s.") % {"quarter": self.quarter})
        if not 2000 <= self.year <= 2100:
            raise ValueError(_("%(year)s is not a plausible year.") % {"year": self.year})

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, value: str) -> Quarter:
        """``2026-Q3`` (also ``2026Q3``, ``2026-q3``)."""
        match = _QUARTER_LABEL.match(value or "")
        if not match:
            raise ValueError(_("%(value)r is not a quarter like 2026-Q3.") % {"value": value})
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def key(self) -> str:
        """The stable machine form (URLs, exports): ``2026-Q3``."""
        return f"{self.year}-Q{self.quarter}"

    @property
    def label(self) -> str:
        return _("Q%(quarter)s %(year)s") % {"quarter": self.quarter, "year": self.year}

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * (self.quarter - 1) + 1, 1)

    @property
    def end(self) -> dt.date:
        return self.next().start - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.quarter == 1 else Quarter(self.year, self.quarter - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.quarter == 4 else Quarter(self.year, self.quarter + 1)

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label


def recent_quarters(today: dt.date, *, back: int = 4, ahead: int = 1) -> list[Quarter]:
    """Quarters a user picks from: a few back, the current one, and the next; newest first."""
    current = Quarter.containing(today)
    quarters = [current]
    cursor = current
    for _step in range(ahead):
        cursor = cursor.next()
        quarters.insert(0, cursor)
    cursor = current
    for _step in range(back):
        cursor = cursor.previous()
        quarters.append(cursor)
    return quarters


@dataclass(frozen=True)
class Week:
    """An ISO week (Monday to Sunday) of the local calendar: '2026-W49' in <input type="week">."""

    start: dt.date  # the Monday

    @classmethod
    def of(cls, day: dt.date) -> Week:
        return cls(start=day - dt.timedelta(days=day.weekday()))

    @classmethod
    def parse(cls, value: str | None, *, today: dt.date) -> Week:
        """'2026-W49' (an <input type="week">) or an ISO day; anything else is the week of ``today``."""
        text = (value or "").strip()
        match = re.fullmatch(r"(\d{4})-W(\d{1,2})", text)
        try:
            if match:
                return cls(start=dt.date.fromisocalendar(int(match[1]), int(match[2]), 1))
            if text:
                return cls.of(dt.date.fromisoformat(text))
        except ValueError:
            pass
        return cls.of(today)

    @property
    def end(self) -> dt.date:
        """The Sunday."""
        return self.start + dt.timedelta(days=6)

    @property
    def iso(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    def shifted(self, weeks: int) -> Week:
        return Week(start=self.start + dt.timedelta(weeks=weeks))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[Monday 00:00, next Monday 00:00) in settings.TIME_ZONE."""
        return start_of_local_day(self.start), start_of_local_day(self.start + dt.timedelta(days=7))
