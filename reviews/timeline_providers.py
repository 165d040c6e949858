"""Timeline entries owned by the reviews app: each account review, at its latest milestone."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from clients.timeline import TimelineEntry, TimelineProvider
from reviews.models import AccountReview
from reviews.permissions import review_visibility_q
from users.models import User


def _reviews(client: Client, user: User):
    return AccountReview.objects.filter(review_visibility_q(user), client=client)


def _count(client: Client, user: User, kinds: set[str]) -> int:
    return _reviews(client, user).count()


def _newest(client: Client, user: User, kinds: set[str], limit: int):
    for review in _reviews(client, user).order_by("-updated_at", "-pk")[:limit]:
        if review.held_on:
            when = timezone.make_aware(dt.datetime.combine(review.held_on, dt.time(12)))
        else:
            when = review.updated_at
        body = ""
        if review.satisfaction:
            body = f"Satisfaction {review.satisfaction}/10."
        yield TimelineEntry(
            at=when,
            kind="review",
            title=f"Account review Q{review.quarter} {review.year}: {review.get_status_display().lower()}",
            body=body,
            url=reverse("reviews:detail", args=[review.pk]),
            badges=(review.get_status_display(),),
        )


def providers() -> list[TimelineProvider]:
    return [TimelineProvider(kinds=("review",), count=_count, newest=_newest)]
