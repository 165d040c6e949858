"""Captured e-mail: every message read once (by its Message-ID), its thread, the To file queue, the mailboxes
polled over IMAP and the domains the product learned. Writes only in capture/services.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from interactions.models import Interaction


class CaptureStatus(models.TextChoices):
    FILED = "filed", _("Filed")
    TO_FILE = "to_file", _("To file")
    FAILED = "failed", _("Could not be read")


class CaptureSource(models.TextChoices):
    IMAP = "imap", _("Mailbox (IMAP)")
    INBOUND = "inbound", _("Inbound mail endpoint")
    UPLOAD = "upload", _("Uploaded .eml file")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Received")
    OUTBOUND = "outbound", _("Sent")


class CaptureReason(models.TextChoices):
    """Why a message waits in the To file queue or could not be read (shown to the user)."""

    NONE = "", _("None")
    NO_MATCH = "no_match", _("No contact or domain of a client took part.")
    AMBIGUOUS = "ambiguous", _("Several clients match; choose the right one.")
    NO_AUTHOR = "no_author", _("Nobody who took part may see the matching client.")
    TOO_LARGE = "too_large", _("The message is larger than the capture limit.")
    EMPTY = "empty", _("The message is empty.")
    NOT_EMAIL = "not_email", _("This is not an e-mail message (no headers).")
    NO_SENDER = "no_sender", _("The message has no sender (From) address.")
    UNREADABLE = "unreadable", _("The message could not be read.")


class MailThread(models.Model):
    """Messages linked by In-Reply-To/References. A private thread makes its interactions private notes."""

    subject = models.CharField(_("subject"), max_length=500, blank=True)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="mail_threads", verbose_name=_("client")
    )
    is_private = models.BooleanField(_("private"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mail thread")
        verbose_name_plural = _("mail threads")

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"


class CapturedMessage(models.Model):
    # One row per Message-ID whatever the number of copies (a message BCC'd by two colleagues is one).
    message_id = models.CharField(_("message id"), max_length=255, unique=True)
    thread = models.ForeignKey(
        MailThread, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages", verbose_name=_("thread")
    )
    status = models.CharField(_("status"), max_length=10, choices=CaptureStatus.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=CaptureReason.choices, blank=True)
    reason_detail = models.CharField(_("reason detail"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=CaptureSource.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    from_email = models.CharField(_("from email"), max_length=254, blank=True)
    from_name = models.CharField(_("from name"), max_length=200, blank=True)
    to = models.JSONField(_("to"), default=list, blank=True)  # [{"email": …, "name": …}]
    cc = models.JSONField(_("cc"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    in_reply_to = models.CharField(_("in reply to"), max_length=255, blank=True, db_index=True)
    references = models.JSONField(_("references"), default=list, blank=True)
    # What the message says (signature and quoted reply folded away).
    body_text = models.TextField(_("body text"), blank=True)
    full_text = models.TextField(_("full text"), blank=True)
    from_html = models.BooleanField(_("from html"), default=False)
    # [{"name": …, "type": …, "size": bytes}]: listed only; the files themselves are not kept (yet).
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="captured_messages",
        verbose_name=_("client"),
    )
    interaction = models.OneToOneField(
        Interaction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="captured_message",
        verbose_name=_("interaction"),
    )
    # Whose message it is: the colleague who wrote or received it (the interaction's author once filed), whose
    # To file queue it waits in. None when no user took part (only admins see it).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="captured_messages",
        verbose_name=_("owner"),
    )
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("captured by"),
    )
    candidates = models.JSONField(_("candidates"), default=list, blank=True)  # client ids of an ambiguous match
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("filed by"),
    )
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("captured e-mail")
        verbose_name_plural = _("captured e-mails")
        indexes = [
            models.Index(fields=["status", "owner"], name="capture_status_owner"),
            models.Index(fields=["client", "-sent_at"], name="capture_client_sent"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id

    @property
    def addresses(self) -> list[str]:
        return [self.from_email, *(a["email"] for a in self.to), *(a["email"] for a in self.cc)]


class CaptureDomain(models.Model):
    """A domain an account manager taught the product: mail from it is filed to this client."""

    domain = models.CharField(_("domain"), max_length=253, unique=True)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="capture_domains", verbose_name=_("client")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("capture domain")
        verbose_name_plural = _("capture domains")

    def __str__(self) -> str:
        return f"{self.domain} -> {self.client}"


class MailboxState(models.Model):
    """How far the poller has read one IMAP mailbox: UIDs are only meaningful with their UIDVALIDITY."""

    account = models.CharField(_("account"), max_length=300)  # user@host:port
    mailbox = models.CharField(_("mailbox"), max_length=200)
    uidvalidity = models.BigIntegerField(_("uidvalidity"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("last uid"), default=0)
    captured = models.PositiveIntegerField(_("captured"), default=0)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "mailbox"], name="capture_mailbox_unique")]
        verbose_name = _("mailbox state")

    def __str__(self) -> str:
        return f"{self.account} {self.mailbox} (UIDVALIDITY {self.uidvalidity}, last UID {self.last_uid})"


class CalendarFeed(models.Model):
    """A user's private iCalendar feed. Only a hash of the token is stored: the URL is shown once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name=_("user")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_fetched_at = models.DateTimeField(_("last fetched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LOGGED = "logged", _("Logged")
    CANCELLED = "cancelled", _("Cancelled")


class ScheduledMeeting(models.Model):
    """A meeting with a client's contacts learnt from an invitation (.ics by mail or upload). Once it has
    ended it is logged as a meeting interaction; a later invitation with the same UID moves or cancels it."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="scheduled_meetings", verbose_name=_("client")
    )
    uid = models.CharField(_("uid"), max_length=255)
    sequence = models.PositiveIntegerField(_("sequence"), default=0)
    summary = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    organizer_email = models.EmailField(_("organizer email"), blank=True)
    attendee_emails = models.JSONField(_("attendee emails"), default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    interaction = models.OneToOneField(
        Interaction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scheduled_meeting",
        verbose_name=_("interaction"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("scheduled meeting")
        constraints = [models.UniqueConstraint(fields=["client", "uid"], name="capture_meeting_uid_per_client")]
        indexes = [models.Index(fields=["status", "ends_at"], name="capture_meeting_due")]

    def __str__(self) -> str:
        return f"{self.summary} ({self.starts_at:%Y-%m-%d})"


class MailSecurity(models.TextChoices):
    SSL = "ssl", _("SSL/TLS (port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    PLAIN = "plain", _("None (only on a trusted network)")


class PersonalMailbox(models.Model):
    """An account manager's own mailbox, read with their consent: only mail with a client's contacts is kept."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_mailbox", verbose_name=_("user")
    )
    host = models.CharField(_("IMAP server"), max_length=253)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=MailSecurity.choices, default=MailSecurity.SSL)
    username = models.CharField(_("user name"), max_length=254)
    password_sealed = models.TextField(_("password sealed"), blank=True)  # core.sealed: never stored in the clear
    # Signed in with OAuth instead of a password (capture/oauth.py): the provider and its sealed tokens.
    oauth_provider = models.CharField(_("oauth provider"), max_length=30, blank=True)
    refresh_token_sealed = models.TextField(_("refresh token sealed"), blank=True)
    access_token_sealed = models.TextField(_("access token sealed"), blank=True)
    access_expires_at = models.DateTimeField(_("access expires at"), null=True, blank=True)
    mailbox = models.CharField(_("folder"), max_length=200, default="INBOX")
    consent_at = models.DateTimeField(_("consent given"))
    is_active = models.BooleanField(_("is active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal mailbox")

    def __str__(self) -> str:
        return f"{self.username}@{self.host}"
