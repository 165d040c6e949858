"""When each step of a run is due. Pure: dataclasses in, dates out, no database.

A step is due ``offset_days`` after the run's start, or after the previous step: after the day it was
closed when it is, else after the day it is (or will be) due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

START = "start"
PREVIOUS = "previous"


@dataclass(frozen=True)
class StepTiming:
    anchor: str  # "start" or "previous"
    offset_days: int
    closed_on: dt.date | None = None  # the day the step was done or skipped


def step_due(*, started_on: dt.date, anchor: str, offset_days: int, previous: dt.date | None) -> dt.date:
    """One step: ``previous`` is the day the previous step closed (or is due); None for the first step."""
    base = started_on if anchor == START or previous is None else previous
    return base + dt.timedelta(days=offset_days)


def due_dates(*, started_on: dt.date, steps: Sequence[StepTiming]) -> list[dt.date]:
    """Every step's due date, the closed ones as they were and the rest as planned from today's knowledge."""
    dates: list[dt.date] = []
    previous: dt.date | None = None
    for timing in steps:
        due = step_due(started_on=started_on, anchor=timing.anchor, offset_days=timing.offset_days, previous=previous)
        dates.append(due)
        previous = timing.closed_on or due
    return dates
