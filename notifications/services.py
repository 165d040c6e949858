"""Writes of notifications: in-app notifications, and the outbox (everything that leaves the system).

Callers decide who is told; this module respects each user's choice.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import Notification, OutboxChannel, OutboxMessage, OutboxStatus
from users.models import User

logger = logging.getLogger(__name__)

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


# --- the outbox --------------------------------------------------------------------------------


def outbox_enqueue(
    *,
    key: str,
    recipient: str,
    subject: str,
    body: str,
    html: str = "",
    channel: str = OutboxChannel.EMAIL,
    kick: bool = True,
) -> tuple[OutboxMessage, bool]:
    """Write the message in the caller's transaction; the same ``key`` again keeps the first row (idempotent).

    With ``kick`` a delivery task is queued once the caller commits (best effort: the periodic delivery and
    the sweeper send whatever is still pending). Returns the row and whether it was new.
    """
    with transaction.atomic():  # a savepoint: a concurrent insert of the same key ends in a get, not an error
        message, created = OutboxMessage.objects.get_or_create(
            key=key,
            defaults={
                "channel": channel,
                "recipient": recipient,
                "subject": subject[:300],
                "body": body,
                "html": html,
                "next_attempt_at": timezone.now(),
            },
        )
    if created and kick:
        outbox_kick(message_ids=[message.pk])
    return message, created


def outbox_kick(*, message_ids: list[int]) -> None:
    """Queue a delivery task per message after the caller's transaction commits (never fails the caller)."""
    from notifications import tasks

    for message_id in message_ids:
        transaction.on_commit(lambda pk=message_id: tasks.outbox_deliver.delay(pk), robust=True)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def _claimable(now: dt.datetime) -> Q:
    return Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, claimed_at__lt=now - _lease()
    )


def outbox_claim(*, message_id: int, now: dt.datetime) -> OutboxMessage | None:
    """The conditional update that makes a send exactly-once: only one caller turns the row into 'sending'."""
    with transaction.atomic():
        claimed = (
            OutboxMessage.objects.filter(pk=message_id)
            .filter(_claimable(now))
            .update(status=OutboxStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        )
    if not claimed:
        return None
    return OutboxMessage.objects.get(pk=message_id)


def is_transient_delivery_error(exc: BaseException) -> bool:
    """4xx answers, dropped or refused connections and timeouts: try again later. 5xx answers: give up."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPException):
        return False
    return isinstance(exc, OSError)  # refused, reset, timed out, name not resolved


def outbox_retry_delay(*, attempts: int) -> dt.timedelta:
    """Exponential back-off with jitter: base x 2^(attempts-1), capped, then 50-100% of it."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    capped = min(base, settings.OUTBOX_RETRY_MAX_SECONDS)
    return dt.timedelta(seconds=capped * random.uniform(0.5, 1.0))  # jitter, not a secret


def _send(message: OutboxMessage) -> None:
    if message.channel != OutboxChannel.EMAIL:
        raise ValueError(f"unknown outbox channel {message.channel!r}")
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    email = EmailMultiAlternatives(
        message.subject,
        message.body,
        settings.DEFAULT_FROM_EMAIL,
        [message.recipient],
        # A stable Message-ID: should a send ever be repeated (a worker lost between SMTP's "250" and the
        # 'sent' mark), the receiving side can still tell it is the same message.
        headers={"Message-ID": f"<outbox-{message.pk}@{domain}>", "X-CRM-Outbox-Key": message.key},
        connection=get_connection(fail_silently=False),
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    email.send()


def outbox_deliver(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Claim and send one message: 'sent', 'retry' (a transient error, recorded, tried again later),
    'failed' (a permanent error or too many attempts) or 'skipped' (not due, or someone else has it)."""
    now = now or timezone.now()
    message = outbox_claim(message_id=message_id, now=now)
    if message is None:
        return "skipped"
    mine = OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING, claimed_at=now)
    try:
        _send(message)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        if is_transient_delivery_error(exc) and message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
            retry_at = now + outbox_retry_delay(attempts=message.attempts)
            logger.warning(
                "Outbox %s: attempt %s failed (%s); next at %s", message.key, message.attempts, error, retry_at
            )
            mine.update(status=OutboxStatus.PENDING, last_error=error, next_attempt_at=retry_at, claimed_at=None)
            return "retry"
        logger.error("Outbox %s: giving up after %s attempt(s): %s", message.key, message.attempts, error)
        mine.update(status=OutboxStatus.FAILED, last_error=error)
        return "failed"
    mine.update(status=OutboxStatus.SENT, sent_at=timezone.now())
    return "sent"


def outbox_due_ids(*, now: dt.datetime, limit: int = 500) -> list[int]:
    return list(OutboxMessage.objects.filter(_claimable(now)).order_by("pk").values_list("pk", flat=True)[:limit])


def outbox_deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send, here, whatever is due (the periodic delivery); returns how many were sent."""
    now = now or timezone.now()
    return sum(outbox_deliver(message_id=pk, now=now) == "sent" for pk in outbox_due_ids(now=now, limit=limit))
