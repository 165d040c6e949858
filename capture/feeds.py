"""Writes and reads of the private calendar feed: issue or rotate its secret URL, revoke it, find it by token."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from capture.models import CalendarFeed
from users.models import User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_rotate(*, user: User) -> str:
    """A new secret for the user's feed; the old URL stops working at once. Returns the token (shown once)."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user=user, defaults={"token_hash": _hash(token), "last_fetched_at": None})
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> bool:
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_user(*, token: str, now: dt.datetime | None = None) -> User | None:
    """The active user a feed token belongs to, or None; notes when the feed was last read."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=_hash(token), user__is_active=True).first()
    if feed is None:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now or timezone.now())
    return feed.user
