"""Calendar quarters: the period an account review covers. Pure, no database."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_LABEL = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"A quarter is 1 to 4, not {self.quarter}.")
        if not 2000 <= self.year <= 2100:
            raise ValueError(f"{self.year} is not a plausible year.")

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, value: str) -> Quarter:
        """``2026-Q3`` (also ``2026Q3``, ``2026-q3``)."""
        match = _LABEL.match(value or "")
        if not match:
            raise ValueError(f"{value!r} is not a quarter like 2026-Q3.")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"

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

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Periods:
    """What a snapshot compares: the quarter (up to ``as_of``) and the same stretch of the quarter before.

    While a quarter is still running, comparing its first weeks with a whole previous quarter would
    make every sum look like a collapse; so the previous period is cut to the same number of days.
    """

    quarter: Quarter
    as_of: dt.date
    current_start: dt.date
    current_end: dt.date
    previous_start: dt.date
    previous_end: dt.date

    @property
    def complete(self) -> bool:
        return self.current_end == self.quarter.end

    @property
    def current_days(self) -> int:
        return (self.current_end - self.current_start).days + 1

    @property
    def previous_days(self) -> int:
        return (self.previous_end - self.previous_start).days + 1


def periods(quarter: Quarter, *, today: dt.date) -> Periods:
    if today < quarter.start:
        raise ValueError(f"{quarter.label} has not started yet (it starts on {quarter.start}).")
    end = min(today, quarter.end)
    before = quarter.previous()
    if end == quarter.end:
        previous_end = before.end
    else:
        previous_end = min(before.end, before.start + dt.timedelta(days=(end - quarter.start).days))
    return Periods(
        quarter=quarter,
        as_of=end,
        current_start=quarter.start,
        current_end=end,
        previous_start=before.start,
        previous_end=previous_end,
    )


def recent_quarters(today: dt.date, *, back: int = 4, ahead: int = 1) -> list[Quarter]:
    """Quarters a user picks from: a few back, the current one, and the next; newest first."""
    current = Quarter.containing(today)
    quarters = [current]
    cursor = current
    for _ in range(ahead):
        cursor = cursor.next()
        quarters.insert(0, cursor)
    cursor = current
    for _ in range(back):
        cursor = cursor.previous()
        quarters.append(cursor)
    return quarters
