"""Dates every app shares: the local day, ISO days passed to tasks, quarters."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def day_or_today(value: str | None) -> dt.date:
    """A task's ISO date argument, or the local day when none was given."""
    return dt.date.fromisoformat(value) if value else timezone.localdate()
