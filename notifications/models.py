"""In-app notifications: short messages to one user, linking to what they are about.

``notifications`` sits below every app that notifies (DESIGN.md), so a notification links to its
subject by URL rather than by a foreign key to a model it may not import.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from notifications import kinds


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    # Blank for the notifications written before kinds existed: they show their stored text.
    kind = models.CharField(_("kind"), max_length=30, choices=kinds.Kind.choices, blank=True)
    # The names and figures captured when it happened; rendered in the reader's language (notifications/kinds.py).
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # The text in the recipient's language when it was written: what the admin searches, and the fallback.
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True, help_text=_("A local path to what it is about."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        db_table = "health_notification"  # created by the health app before the split; kept in place
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.text

    @property
    def headline(self) -> str:
        """The sentence in the active language (the stored text for a notification without a kind)."""
        return kinds.headline(self.kind, self.params) if self.kind else self.text

    @property
    def figures(self) -> list[tuple[str, str]]:
        return kinds.figures(self.params)


class NotificationPreference(models.Model):
    """How one user wants to hear about one kind of notification; a kind without a row uses its default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=kinds.Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=kinds.Channel.choices)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}"


class WebhookFormat(models.TextChoices):
    JSON = "json", _("JSON (signed event)")
    SLACK = "slack", _("Slack / Mattermost (text and blocks)")


class Webhook(models.Model):
    """An outgoing webhook an admin registered: events of the chosen kinds are POSTed to ``url``, signed."""

    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=128)
    events = models.JSONField(_("events"), default=list)
    format = models.CharField(_("format"), max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.JSON)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["secret", "updated_at"])  # who changed what; never the secret

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name

    @property
    def masked_secret(self) -> str:
        return f"••••••••{self.secret[-4:]}" if self.secret else ""


class OutboxChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    """Something that leaves the system, written in the caller's transaction and sent exactly once.

    ``key`` names the side effect ("digest:<user>:<date>"): enqueueing it again keeps this one row. A sender
    claims the row with a conditional UPDATE (pending -> sending, or a 'sending' whose lease ran out) before
    it sends, so two workers, a redelivered task and a re-run all end in one message.
    """

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=OutboxChannel.choices, default=OutboxChannel.EMAIL)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    calendar = models.TextField(_("calendar invitation"), blank=True)  # iCalendar text (capture.calendar)
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Webhook deliveries: the webhook, the event (its id is the receiver's idempotency key) and the last answer.
    webhook = models.ForeignKey(
        Webhook, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook")
    )
    event = models.CharField(_("event"), max_length=50, blank=True)
    event_id = models.UUIDField(_("event id"), null=True, blank=True, default=None)
    response_status = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("sent again from")
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["webhook", "-created_at"], name="outbox_webhook_log"),
        ]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
