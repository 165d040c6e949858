"""A page the account manager shares with a client's contact: the plan objectives and review action items marked
shared, the agreed cadence, the next review and the AM's contact details; nothing else."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Contact


class SharedPlanLink(models.Model):
    """One contact's access: a random token (only its hash is kept) bound to the contact's e-mail, a one-time code
    sent there before the first view in a browser, an expiry and a revoke."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="shared_links")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="shared_links")
    email = models.EmailField(_("sent to"))  # the contact's address when shared: the code only ever goes there
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_failures = models.PositiveSmallIntegerField(default=0)
    codes_sent_today = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("shared plan link")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "-created_at"], name="sharing_link_client")]

    def __str__(self) -> str:
        return f"{self.client} shared with {self.email}"


class SharedEventKind(models.TextChoices):
    SHARED = "shared", _("Link sent")
    CODE_SENT = "code_sent", _("Code sent")
    CODE_FAILED = "code_failed", _("Wrong code entered")
    VERIFIED = "verified", _("Code confirmed")
    VIEWED = "viewed", _("Page viewed")
    ITEM_DONE = "item_done", _("Action item ticked done")
    ITEM_REOPENED = "item_reopened", _("Action item reopened")
    COMMENT = "comment", _("Comment left")
    REVOKED = "revoked", _("Link revoked")


class SharedPlanEvent(models.Model):
    """The access log the account manager sees: every code, view, tick and comment through a link."""

    link = models.ForeignKey(SharedPlanLink, on_delete=models.CASCADE, related_name="events")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=15, choices=SharedEventKind.choices)
    at = models.DateTimeField()
    detail = models.TextField(blank=True)  # the comment, or the item's title
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["client", "kind", "-at"], name="sharing_event_client")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.link})"
