"""Contact cadence: when a client is next due for a touch. Pure."""

from __future__ import annotations

import datetime as dt


def contact_due_on(
    *, last_contact_at: dt.datetime | None, cadence_days: int, fallback: dt.date | None
) -> dt.date | None:
    """The date the next touch is due: the last contact plus the agreed cadence.

    With no contact yet, the cadence runs from ``fallback`` (contract start or creation).
    """
    start = last_contact_at.date() if last_contact_at else fallback
    if start is None:
        return None
    try:
        return start + dt.timedelta(days=max(1, cadence_days))
    except OverflowError:  # a start date close to 9999-12-31: due at the end of the calendar
        return dt.date.max
