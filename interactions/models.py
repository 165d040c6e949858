from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clients.models import Client, Contact, Handoff
from core.constraints import FieldConstraintsMixin


class InteractionKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"


# A note is written about the client, not to them: it does not count as contact.
CONTACT_KINDS = (InteractionKind.CALL, InteractionKind.EMAIL, InteractionKind.MEETING)


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class Interaction(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="interactions")
    kind = models.CharField(max_length=10, choices=InteractionKind.choices, default=InteractionKind.CALL)
    occurred_at = models.DateTimeField("when")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interactions")
    contacts = models.ManyToManyField(Contact, blank=True, related_name="interactions")
    summary = models.TextField()
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    outcome = models.TextField(blank=True)
    next_step = models.CharField(max_length=300, blank=True)
    is_private = models.BooleanField("private note", default=False, help_text="Only you and your team lead see it.")
    deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[contacts])

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "-occurred_at"], name="interaction_client_time"),
            models.Index(fields=["author", "-occurred_at"], name="interaction_author_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.client} on {self.occurred_at:%Y-%m-%d}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class FollowUpOrigin(models.TextChoices):
    MANUAL = "manual", "Created by hand"
    INTERACTION = "interaction", "From an interaction"
    HANDOFF = "handoff", "Sales commitment (handoff)"
    REVIEW = "review", "Account review"
    FLAG = "flag", "Health flag"
    RENEWAL = "renewal", "Renewal checkpoint"
    PLAYBOOK = "playbook", "Playbook step"


class FollowUp(FieldConstraintsMixin, models.Model):
    constraint_fields = {
        "followup_promised_date_only_for_commitments": "promised_date",
        "followup_promised_not_before_due": "promised_date",
    }

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="followups")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followups")
    title = models.CharField(max_length=300)
    notes = models.TextField(blank=True)
    due_date = models.DateField(help_text="Our internal deadline.")
    is_commitment = models.BooleanField("promised to the client", default=False)
    promised_date = models.DateField(
        null=True, blank=True, help_text="The date the client was promised; may be later than the internal one."
    )
    status = models.CharField(max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    origin = models.CharField(max_length=12, choices=FollowUpOrigin.choices, default=FollowUpOrigin.MANUAL)
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups")
    # A renewal checkpoint (origin "renewal"): the renewal and how many days before its due date.
    renewal = models.ForeignKey(
        "contracts.Renewal", null=True, blank=True, on_delete=models.CASCADE, related_name="followups"
    )
    checkpoint_days = models.PositiveSmallIntegerField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="followups_created"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "pk"]
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

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="due_changes")
    old_due_date = models.DateField()
    new_due_date = models.DateField()
    old_promised_date = models.DateField(null=True, blank=True)
    new_promised_date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.followup}: {self.old_due_date} -> {self.new_due_date}"
