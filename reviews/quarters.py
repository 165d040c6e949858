"""The periods an account review compares. Pure, no database; the quarter itself lives in core.dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.dates import Quarter


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
        raise ValueError(
            _("%(quarter)s has not started yet (it starts on %(start)s).")
            % {"quarter": quarter.label, "start": quarter.start}
        )
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
