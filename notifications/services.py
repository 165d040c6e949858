"""Writes of notifications: in-app notifications, and the outbox (everything that leaves the system).

Callers decide who is told; this module respects each user's choice.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import smtplib
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import ApplicationError, NotAllowedError
from core.faults import maybe_crash
from core.locking import save_audited
from notifications import kinds, selectors, webhooks
from notifications.models import (
    Notification,
    NotificationPreference,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    Webhook,
    WebhookFormat,
)
from users.models import User
from users.preferences import language_of

logger = logging.getLogger(__name__)

TEXT_LIMIT = Notification._meta.get_field("text").max_length


@dataclass(frozen=True)
class NotificationDraft:
    """One notification for one user: a kind and its parameters (names, figures), or a plain text."""

    user_id: int
    text: str = ""
    url: str = ""
    kind: str = ""
    params: dict = field(default_factory=dict)


def absolute(url: str) -> str:
    return url if not url or "://" in url else settings.SITE_URL + url


def notifications_send(*, drafts: Iterable[NotificationDraft], key: str = "") -> int:
    """Tell each draft's user on the channels they chose for its kind: in-app rows (the bell) and e-mails
    through the outbox. A kind whose e-mail is a section of the morning digest sends no e-mail here.

    ``key`` makes the e-mails idempotent ("handoff_sent:12"): the same key again sends nothing new.
    Returns how many users were told on some channel.
    """
    drafts = [d for d in drafts if d.user_id]
    if not drafts:
        return 0
    users = {u.pk: u for u in User.objects.filter(pk__in={d.user_id for d in drafts}, is_active=True)}
    channels = selectors.channels_for(user_ids=list(users), kinds_={d.kind for d in drafts if d.kind})
    rows, told = [], 0
    for draft in drafts:
        user = users.get(draft.user_id)
        if user is None:
            continue
        channel = channels.get((user.pk, draft.kind)) if draft.kind else kinds.Channel.IN_APP
        if channel is None or channel == kinds.Channel.OFF:
            continue
        told += 1
        with translation.override(language_of(user)):
            headline = kinds.headline(draft.kind, draft.params) if draft.kind else draft.text
            if channel in kinds.IN_APP_CHANNELS:
                rows.append(
                    Notification(
                        user_id=user.pk, kind=draft.kind, params=draft.params, text=headline[:TEXT_LIMIT], url=draft.url
                    )
                )
            spec = kinds.SPECS.get(draft.kind)
            if channel in kinds.EMAIL_CHANNELS and spec and not spec.in_digest and user.email:
                context = {
                    "user": user,
                    "headline": headline,
                    "figures": kinds.figures(draft.params),
                    "excerpt": draft.params.get("excerpt", ""),
                    "link": absolute(draft.url),
                }
                outbox_enqueue(
                    key=f"notify:{draft.kind}:{key or uuid.uuid4().hex}:{user.pk}",
                    recipient=user.email,
                    subject=headline,
                    body=render_to_string("notifications/email/notification.txt", context),
                    html=render_to_string("notifications/email/notification.html", context),
                )
    Notification.objects.bulk_create(rows, batch_size=500)
    return told


def notify(
    *, kind: str, user_ids: Iterable[int], params: dict, url: str = "", key: str = "", skip: int | None = None
) -> int:
    """The same notification to several users (``skip``: the one who acted, never told of their own action)."""
    return notifications_send(
        drafts=[NotificationDraft(user_id=pk, kind=kind, params=params, url=url) for pk in set(user_ids) if pk != skip],
        key=key,
    )


@transaction.atomic
def notification_preferences_update(*, user: User, choices: dict[str, str]) -> dict[str, str]:
    """Save the user's channel per kind; unknown kinds or channels are refused whole. Returns every kind's choice."""
    errors = {k: [_("Unknown kind of notification.")] for k in choices if k not in kinds.Kind.values}
    errors |= {
        k: [_("Choose in app, e-mail, both or off.")]
        for k, v in choices.items()
        if k in kinds.Kind.values and v not in kinds.Channel.values
    }
    if errors:
        raise ValidationError(errors)
    for kind, channel in choices.items():
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})
    return selectors.preferences_of(user=user)


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
    calendar: str = "",
) -> tuple[OutboxMessage, bool]:
    """Write the message in the caller's transaction; the same ``key`` again keeps the first row (idempotent).
    ``calendar``: an iTIP object (an invitation, METHOD:REQUEST or CANCEL) sent as the message's calendar part.

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
                "calendar": calendar,
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
    if message.channel == OutboxChannel.WEBHOOK:
        _send_webhook(message)
        return
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
    if message.calendar:
        # As mail programs send invitations: a text/calendar alternative carrying the method (so Outlook, Gmail and
        # Apple Mail show Accept/Decline), and the same object as invite.ics for the others.
        method = "CANCEL" if "METHOD:CANCEL" in message.calendar else "REQUEST"
        email.attach_alternative(message.calendar, f"text/calendar; method={method}; charset=utf-8")
        email.attach("invite.ics", message.calendar, "application/ics")
    email.send()


class WebhookGone(Exception):
    """The delivery's webhook was switched off: nothing is sent (not retried)."""


def _send_webhook(message: OutboxMessage) -> None:
    hook = message.webhook
    if hook is None or not hook.is_active:
        raise WebhookGone(_("The webhook is switched off."))
    maybe_crash("webhook_send")  # the fault tests: a worker killed after the claim, before the request
    status = webhooks.post(
        url=hook.url,
        secret=hook.secret,
        event=message.event,
        event_id=str(message.event_id),
        body=message.body,
        timestamp=int(time.time()),
    )
    message.response_status = status


def _retryable(message: OutboxMessage, exc: BaseException, now: dt.datetime) -> bool:
    """E-mail: a transient SMTP error, up to OUTBOX_MAX_ATTEMPTS. Webhook: a transient HTTP error, for a day."""
    if message.channel == OutboxChannel.WEBHOOK:
        window = dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        return webhooks.is_transient(exc) and now < message.created_at + window
    return is_transient_delivery_error(exc) and message.attempts < settings.OUTBOX_MAX_ATTEMPTS


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
        answer = getattr(exc, "status", None)
        if _retryable(message, exc, now):
            retry_at = now + outbox_retry_delay(attempts=message.attempts)
            logger.warning(
                "Outbox %s: attempt %s failed (%s); next at %s", message.key, message.attempts, error, retry_at
            )
            mine.update(
                status=OutboxStatus.PENDING,
                last_error=error,
                next_attempt_at=retry_at,
                claimed_at=None,
                response_status=answer,
            )
            return "retry"
        logger.error("Outbox %s: giving up after %s attempt(s): %s", message.key, message.attempts, error)
        mine.update(status=OutboxStatus.FAILED, last_error=error, response_status=answer)
        return "failed"
    mine.update(status=OutboxStatus.SENT, sent_at=timezone.now(), response_status=message.response_status)
    return "sent"


def outbox_due_ids(*, now: dt.datetime, limit: int = 500, channel: str | None = None) -> list[int]:
    queryset = OutboxMessage.objects.filter(_claimable(now))
    if channel is not None:
        queryset = queryset.filter(channel=channel)
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])


def outbox_deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The periodic delivery: e-mails due are sent here (returns how many); webhook deliveries due each get a task
    of their own, so one slow receiver never holds up the others or the e-mails."""
    now = now or timezone.now()
    for pk in outbox_due_ids(now=now, limit=limit, channel=OutboxChannel.WEBHOOK):
        transaction.on_commit(lambda pk=pk: _deliver_task().delay(pk), robust=True)
    emails = outbox_due_ids(now=now, limit=limit, channel=OutboxChannel.EMAIL)
    return sum(outbox_deliver(message_id=pk, now=now) == "sent" for pk in emails)


def _deliver_task():
    from notifications import tasks

    return tasks.outbox_deliver


# --- webhooks ----------------------------------------------------------------------------------


def _require_admin(by: User) -> None:
    if not by.is_admin_role:
        raise NotAllowedError(_("Only admins manage webhooks."))


def _clean_webhook(*, name: str, url: str, events: list[str], format: str) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("Name the webhook.")]
    try:
        url = webhooks.validate_url(url)
    except ValidationError as error:
        errors["url"] = error.messages
    events = list(dict.fromkeys(events or []))
    if not events:
        errors["events"] = [_("Choose at least one event.")]
    elif unknown := [e for e in events if e not in webhooks.WebhookEvent.values]:
        errors["events"] = [_("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}]
    if format not in WebhookFormat.values:
        errors["format"] = [_("Choose JSON or Slack.")]
    if errors:
        raise ValidationError(errors)
    return {"name": name.strip()[:100], "url": url, "events": events, "format": format}


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@transaction.atomic
def webhook_create(
    *, by: User, name: str, url: str, events: list[str], format: str = WebhookFormat.JSON, is_active: bool = True
) -> tuple[Webhook, str]:
    """Register a webhook; returns it and its signing secret, which is shown this once (then masked)."""
    _require_admin(by)
    secret = new_webhook_secret()
    webhook = Webhook(
        **_clean_webhook(name=name, url=url, events=events, format=format),
        secret=secret,
        is_active=is_active,
        created_by=by,
    )
    save_audited(webhook, by=by)
    return webhook, secret


@transaction.atomic
def webhook_update(*, webhook: Webhook, by: User, **changes: Any) -> Webhook:
    _require_admin(by)
    unknown = set(changes) - {"name", "url", "events", "format", "is_active"}
    if unknown:
        raise ApplicationError(_("Unknown webhook fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = Webhook.objects.select_for_update().get(pk=webhook.pk)
    values = {k: changes.get(k, getattr(current, k)) for k in ("name", "url", "events", "format")}
    for key, value in _clean_webhook(**values).items():
        setattr(current, key, value)
    if "is_active" in changes:
        current.is_active = bool(changes["is_active"])
    save_audited(current, by=by)
    return current


@transaction.atomic
def webhook_secret_rotate(*, webhook: Webhook, by: User) -> tuple[Webhook, str]:
    """A new signing secret (shown once); deliveries still pending are signed with it when they go."""
    _require_admin(by)
    current = Webhook.objects.select_for_update().get(pk=webhook.pk)
    current.secret = new_webhook_secret()
    save_audited(current, by=by)
    return current, current.secret


@transaction.atomic
def webhook_delete(*, webhook: Webhook, by: User) -> None:
    """The webhook and its delivery log go; pending deliveries are never sent."""
    _require_admin(by)
    webhook._history_user = by
    webhook.delete()


@dataclass(frozen=True)
class EmittedEvent:
    """Something that happened, for the webhooks subscribed to it.

    ``key`` names the occurrence ("flag.opened:812"): the same key emitted again is the same event (same id, no
    second delivery). ``text`` is the human sentence for the Slack format; ``url`` a local path to it.
    """

    event: str
    key: str
    data: dict[str, Any]
    text: str = ""
    url: str = ""


EVENT_NAMESPACE = uuid.UUID("6f1c1c0e-5b0a-4c4e-9a1e-0c2b5c8f7a11")


def webhooks_emit(*, events: Iterable[EmittedEvent], now: dt.datetime | None = None) -> int:
    """An outbox row per (subscribed active webhook, event), in the caller's transaction; each is sent by its own
    task once the caller commits, so a slow or dead receiver never holds up the caller. Returns rows written."""
    events = list(events)
    if not events:
        return 0
    hooks = [h for h in Webhook.objects.filter(is_active=True) if set(h.events) & {e.event for e in events}]
    if not hooks:
        return 0
    now = now or timezone.now()
    rows = []
    for hook in hooks:
        for item in events:
            if item.event not in hook.events:
                continue
            event_id = str(uuid.uuid5(EVENT_NAMESPACE, item.key))
            link = absolute(item.url)
            if hook.format == WebhookFormat.SLACK:
                text = f"{item.text} <{link}|→>" if link and item.text else item.text or item.event
                body = webhooks.slack_body(event=item.event, event_id=event_id, text=text, url=link)
            else:
                data = {**item.data, **({"url": link} if link else {})}
                body = webhooks.json_body(event=item.event, event_id=event_id, occurred_at=now.isoformat(), data=data)
            rows.append(
                OutboxMessage(
                    key=f"webhook:{hook.pk}:{event_id}",
                    channel=OutboxChannel.WEBHOOK,
                    recipient=hook.url[:254],
                    subject=item.event,
                    body=body,
                    next_attempt_at=now,
                    webhook=hook,
                    event=item.event,
                    event_id=event_id,
                )
            )
    with transaction.atomic():
        OutboxMessage.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    ids = list(
        OutboxMessage.objects.filter(key__in=[r.key for r in rows], status=OutboxStatus.PENDING).values_list(
            "pk", flat=True
        )
    )
    outbox_kick(message_ids=ids)
    return len(rows)


@transaction.atomic
def webhook_delivery_resend(*, delivery: OutboxMessage, by: User) -> OutboxMessage:
    """'Send again': a new delivery of the same event (same event id and body), signed afresh when it goes."""
    _require_admin(by)
    if delivery.channel != OutboxChannel.WEBHOOK or delivery.webhook_id is None:
        raise ApplicationError(_("Only webhook deliveries can be sent again here."))
    if delivery.status in {OutboxStatus.PENDING, OutboxStatus.SENDING}:
        raise ApplicationError(_("This delivery is still being tried; wait for it to finish."))
    again = OutboxMessage.objects.create(
        key=f"{delivery.key}:again:{uuid.uuid4().hex[:12]}",
        channel=OutboxChannel.WEBHOOK,
        recipient=delivery.recipient,
        subject=delivery.subject,
        body=delivery.body,
        next_attempt_at=timezone.now(),
        webhook_id=delivery.webhook_id,
        event=delivery.event,
        event_id=delivery.event_id,
        resent_from=delivery,
    )
    outbox_kick(message_ids=[again.pk])
    return again
