"""Timeline entries owned by the reviews app: each account review, at its latest milestone."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

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
            body = _("Satisfaction %(score)s/10.") % {"score": review.satisfaction}
        yield TimelineEntry(
            at=when,
            kind="review",
            title=_("Account review %(quarter)s: %(status)s")
            % {"quarter": review.label, "status": review.get_status_display().lower()},
            body=body,
            url=reverse("reviews:detail", args=[review.pk]),
            badges=(review.get_status_display(),),
        )


def providers() -> list[TimelineProvider]:
    return [TimelineProvider(kinds=("review",), count=_count, newest=_newest)]
