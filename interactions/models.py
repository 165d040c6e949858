from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from clients.models import Client, Contact, Handoff
from core.constraints import FieldConstraintsMixin
from core.formats import format_day


class InteractionKind(models.TextChoices):
    # Translators: the kinds of a logged interaction (nouns: a call, an e-mail, a meeting, a note).
    CALL = "call", pgettext_lazy("interaction kind", "Call")
    EMAIL = "email", pgettext_lazy("interaction kind", "E-mail")
    MEETING = "meeting", pgettext_lazy("interaction kind", "Meeting")
    NOTE = "note", pgettext_lazy("interaction kind", "Note")


# A note is written about the client, not to them: it does not count as contact.
CONTACT_KINDS = (InteractionKind.CALL, InteractionKind.EMAIL, InteractionKind.MEETING)


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class Interaction(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="interactions", verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=10, choices=InteractionKind.choices, default=InteractionKind.CALL)
    occurred_at = models.DateTimeField(_("when"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interactions", verbose_name=_("author")
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="interactions", verbose_name=_("contacts"))
    summary = models.TextField(_("summary"))
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    outcome = models.TextField(_("outcome"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    is_private = models.BooleanField(
        _("private note"), default=False, help_text=_("Only you and your team lead see it.")
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[contacts])

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["client", "-occurred_at"], name="interaction_client_time"),
            models.Index(fields=["author", "-occurred_at"], name="interaction_author_time"),
        ]

    def __str__(self) -> str:
        return gettext_now("%(kind)s with %(client)s on %(day)s") % {
            "kind": self.get_kind_display(),
            "client": self.client,
            "day": format_day(self.occurred_at),
        }


class FollowUpStatus(models.TextChoices):
    # Translators: the status of a follow-up (a task), not a verb.
    OPEN = "open", pgettext_lazy("follow-up status", "Open")
    DONE = "done", pgettext_lazy("follow-up status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("follow-up status", "Cancelled")


class FollowUpOrigin(models.TextChoices):
    MANUAL = "manual", _("Created by hand")
    INTERACTION = "interaction", _("From an interaction")
    HANDOFF = "handoff", _("Sales commitment (handoff)")
    REVIEW = "review", _("Account review")
    FLAG = "flag", _("Health flag")
    RENEWAL = "renewal", _("Renewal checkpoint")
    PLAYBOOK = "playbook", _("Playbook step")


class FollowUp(FieldConstraintsMixin, models.Model):
    constraint_fields = {
        "followup_promised_date_only_for_commitments": "promised_date",
        "followup_promised_not_before_due": "promised_date",
    }

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="followups", verbose_name=_("client"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followups", verbose_name=_("owner")
    )
    title = models.CharField(_("title"), max_length=300)
    notes = models.TextField(_("notes"), blank=True)
    due_date = models.DateField(_("due date"), help_text=_("Our internal deadline."))
    is_commitment = models.BooleanField(_("promised to the client"), default=False)
    promised_date = models.DateField(
        _("promised date"),
        null=True,
        blank=True,
        help_text=_("The date the client was promised; may be later than the internal one."),
    )
    status = models.CharField(_("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    origin = models.CharField(_("origin"), max_length=12, choices=FollowUpOrigin.choices, default=FollowUpOrigin.MANUAL)
    interaction = models.ForeignKey(
        Interaction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        verbose_name=_("interaction"),
    )
    handoff = models.ForeignKey(
        Handoff, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups", verbose_name=_("handoff")
    )
    # A renewal checkpoint (origin "renewal"): the renewal and how many days before its due date.
    renewal = models.ForeignKey(
        "contracts.Renewal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followups",
        verbose_name=_("renewal"),
    )
    checkpoint_days = models.PositiveSmallIntegerField(_("checkpoint days"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancel reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="followups_created",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="followup_owner_due"),
            models.Index(fields=["client", "status", "due_date"], name="followup_client_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["renewal", "checkpoint_days"],
                condition=Q(renewal__isnull=False),
                name="followup_one_per_renewal_checkpoint",
            ),
            models.CheckConstraint(
                condition=Q(promised_date__isnull=True) | Q(is_commitment=True),
                name="followup_promised_date_only_for_commitments",
                violation_error_message=_("Only a commitment to the client has a promised date."),
            ),
            models.CheckConstraint(
                condition=Q(promised_date__isnull=True) | Q(promised_date__gte=models.F("due_date")),
                name="followup_promised_not_before_due",
                violation_error_message=_("The date promised to the client cannot be before our internal due date."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_client_date(self):
        """The date that matters to the client: the promise if there is one."""
        return self.promised_date or self.due_date


class DueDateChange(models.Model):
    """Each reschedule, so a slipping commitment is visible (and reported early)."""

    followup = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="due_changes", verbose_name=_("followup")
    )
    old_due_date = models.DateField(_("old due date"))
    new_due_date = models.DateField(_("new due date"))
    old_promised_date = models.DateField(_("old promised date"), null=True, blank=True)
    new_promised_date = models.DateField(_("new promised date"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("due date change")
        verbose_name_plural = _("due date changes")

    def __str__(self) -> str:
        return f"{self.followup}: {self.old_due_date} -> {self.new_due_date}"
