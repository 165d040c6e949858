"""Reads of notifications, channel choices, webhooks and their deliveries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from notifications import kinds
from notifications.models import Notification, NotificationPreference, OutboxChannel, OutboxMessage, Webhook

if TYPE_CHECKING:
    from users.models import User


def notifications_for(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preferences_of(*, user: User) -> dict[str, str]:
    """Every kind's channel for ``user``: their choice, or the kind's default (one query)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return {kind: chosen.get(kind, spec.default) for kind, spec in kinds.SPECS.items()}


def channels_for(*, user_ids: Iterable[int], kinds_: Iterable[str]) -> dict[tuple[int, str], str]:
    """(user id, kind) -> channel for each pair, defaults filled in (one query)."""
    user_ids, kinds_ = list(user_ids), [k for k in kinds_ if k in kinds.SPECS]
    result = {(u, k): kinds.SPECS[k].default for u in user_ids for k in kinds_}
    if user_ids and kinds_:
        rows = NotificationPreference.objects.filter(user_id__in=user_ids, kind__in=kinds_)
        result.update({(u, k): c for u, k, c in rows.values_list("user_id", "kind", "channel")})
    return result


def users_wanting_email(*, user_ids: Iterable[int], kind: str) -> set[int]:
    """Of ``user_ids``, those whose channel for ``kind`` includes e-mail (the digest's sections follow this)."""
    channels = channels_for(user_ids=user_ids, kinds_=[kind])
    return {u for (u, _), c in channels.items() if c in kinds.EMAIL_CHANNELS}


def webhooks_for_admin() -> QuerySet[Webhook]:
    return Webhook.objects.select_related("created_by").order_by("name", "pk")


def webhook_deliveries(*, webhook: Webhook, status: str = "", event: str = "") -> QuerySet[OutboxMessage]:
    queryset = OutboxMessage.objects.filter(webhook=webhook, channel=OutboxChannel.WEBHOOK)
    if status:
        queryset = queryset.filter(status=status)
    if event:
        queryset = queryset.filter(event=event)
    return queryset.order_by("-created_at", "-pk")
