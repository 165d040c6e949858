"""Writes of in-app notifications. Callers decide who is told; this module respects each user's choice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from users.models import User

TEXT_LIMIT = Notification._meta.get_field("text").max_length


@dataclass(frozen=True)
class NotificationDraft:
    user_id: int
    text: str
    url: str = ""


def notifications_send(*, drafts: Iterable[NotificationDraft]) -> int:
    """In-app notifications for the users among the drafts who keep the in-app channel on."""
    drafts = list(drafts)
    if not drafts:
        return 0
    wanted = set(
        User.objects.filter(pk__in={d.user_id for d in drafts}, in_app_notifications=True, is_active=True).values_list(
            "pk", flat=True
        )
    )
    rows = [Notification(user_id=d.user_id, text=d.text[:TEXT_LIMIT], url=d.url) for d in drafts if d.user_id in wanted]
    Notification.objects.bulk_create(rows, batch_size=500)
    return len(rows)


@transaction.atomic
def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    queryset = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())
