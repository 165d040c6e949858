"""Planned account reviews in the user's calendar feed (capture owns the feed; reviews sit above it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from capture.calendar import FEED_PAST_DAYS, UID_DOMAIN, CalendarEntry
from reviews.models import AccountReview, ReviewStatus
from users.models import User


def review_entries(user: User, today: dt.date) -> Iterable[CalendarEntry]:
    """Reviews not yet held, of the user's own clients or where the user is a colleague attending."""
    rows = (
        AccountReview.objects.filter(
            Q(client__owner=user) | Q(colleagues=user),
            status__in=[ReviewStatus.PLANNED, ReviewStatus.PREPARED],
            client__archived_at__isnull=True,
            planned_on__gte=today - dt.timedelta(days=FEED_PAST_DAYS),
        )
        .select_related("client")
        .distinct()
        .order_by("planned_on", "pk")
    )
    for review in rows:
        yield CalendarEntry(
            uid=f"review-{review.pk}@{UID_DOMAIN}",
            summary=_("Account review: %(client)s, Q%(quarter)s %(year)s")
            % {"client": review.client.name, "quarter": review.quarter, "year": review.year},
            day=review.planned_on,
            description=review.agenda,
            path=reverse("reviews:detail", args=[review.pk]),
        )
