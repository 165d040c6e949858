"""Rows of a django-simple-history table as they stood at a moment: "what did we know at 06:00 that day?"

Generic (it takes the historical queryset), so ``core`` stays a leaf: the apps that read dated facts call it
with their own historical model.
"""

from __future__ import annotations

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
