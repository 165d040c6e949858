"""Rows of a django-simple-history table as they stood at a moment: "what did we know at 06:00 that day?"

Generic (it takes the historical queryset), so ``core`` stays a leaf: the apps that read dated facts call it
with their own historical model.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery


def versions_at(history: QuerySet, *, moment: dt.datetime, fields: list[str]) -> dict[Any, dict[str, Any]]:
    """Object id -> ``fields`` of its newest history row recorded at or before ``moment``, in one query.

    ``history`` is a (filtered) historical queryset, e.g. ``Client.history.filter(id__in=ids)``. Objects deleted
    by then (their newest row is a deletion) and objects with no row yet are left out.
    """
    newest = (
        history.model.objects.filter(id=OuterRef("id"), history_date__lte=moment)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    rows = history.filter(history_date__lte=moment, history_id=Subquery(newest)).exclude(history_type="-")
    return {row["id"]: row for row in rows.values("id", *fields)}


class VersionsOverTime:
    """``versions_at`` for many moments (a replay of many mornings): the history is read once, then each moment is
    answered in memory. ``current`` (optional) stands for the objects with no version that old, as in the callers
    of ``versions_at``: their row as it is now. Two queries in all, whatever the number of moments."""

    def __init__(self, history: QuerySet, *, fields: list[str], current: QuerySet | None = None) -> None:
        self.fields = fields
        self._rows: dict[Any, list[tuple[dt.datetime, int, str, dict[str, Any]]]] = {}
        for row in history.order_by("id", "history_date", "history_id").values(
            "id", "history_date", "history_id", "history_type", *fields
        ):
            self._rows.setdefault(row["id"], []).append(
                (row.pop("history_date"), row.pop("history_id"), row.pop("history_type"), row)
            )
        self._current: dict[Any, dict[str, Any]] = {}
        if current is not None:
            for row in current.values("pk", *fields):
                row["id"] = row.pop("pk")
                self._current[row["id"]] = row
        # The answer for every object depends on the moment only through the versions recorded by then: moments
        # with the same versions before them (most mornings of a replay) share one answer, worked out once.
        self._dates = sorted(version[0] for versions in self._rows.values() for version in versions)
        self._last: tuple[int, dict[Any, dict[str, Any]]] | None = None

    def at(self, moment: dt.datetime, *, ids: set | None = None, fallback=None) -> dict[Any, dict[str, Any]]:
        """Object id -> its fields at ``moment`` (the newest version by then; deleted ones left out), else its
        current row when ``fallback(row)`` accepts it (default: any current row)."""
        if fallback is None:
            recorded = bisect.bisect_right(self._dates, moment)
            if self._last is None or self._last[0] != recorded:
                self._last = (recorded, self._at(moment, ids=None, fallback=None))
            everyone = self._last[1]
            if ids is None:
                return dict(everyone)
            return {pk: row for pk, row in everyone.items() if pk in ids}
        return self._at(moment, ids=ids, fallback=fallback)

    def _at(self, moment: dt.datetime, *, ids: set | None, fallback) -> dict[Any, dict[str, Any]]:
        found: dict[Any, dict[str, Any]] = {}
        for pk, versions in self._rows.items():
            if ids is not None and pk not in ids:
                continue
            index = bisect.bisect_right(versions, (moment, float("inf"))) - 1
            if index >= 0 and versions[index][2] != "-":
                found[pk] = versions[index][3]
        for pk, row in self._current.items():
            if pk in found or (ids is not None and pk not in ids):
                continue
            if fallback is None or fallback(row):
                found[pk] = row
        return found
