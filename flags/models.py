"""Trigger rules, the flags they raise, and the daily evaluation runs that raise them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from clients.models import Client
from core.phrases import render


class Severity(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")


class RuleKind(models.TextChoices):
    KPI_DROP = "kpi_drop", _("KPI dropped by X%")
    KPI_THRESHOLD = "kpi_threshold", _("KPI crossed a threshold")
    NO_CONTACT = "no_contact", _("No contact (days or beyond cadence)")
    HEALTH_BELOW = "health_below", _("Health score below X")
    HEALTH_DROP = "health_drop", _("Health dropped by X points")
    COMMITMENT_OVERDUE = "commitment_overdue", _("Commitment overdue")
    RENEWAL_NO_REVIEW = "renewal_no_review", _("Renewal near, no review this quarter")
    STAKEHOLDER_LEFT = "stakeholder_left", _("Key stakeholder left")
    DATA_STOPPED = "data_stopped", _("KPI data stopped arriving")
    INVOICE_OVERDUE = "invoice_overdue", _("Invoice overdue")
    CLOSING_DOCUMENTS_UNSIGNED = "closing_documents_unsigned", _("Closing documents unsigned for N days")
    SURVEY_DETRACTOR = "survey_detractor", _("A detractor's NPS answer")


class TriggerRule(models.Model):
    """When to tell an AM to pick up the phone. Global (admin) or for one team (its lead)."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=40, choices=RuleKind.choices)
    params = models.JSONField(default=dict, help_text=_("Validated by flags.rules for the kind."))
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    segment = models.CharField(max_length=20, blank=True, help_text=_("Only clients of this segment (blank: all)."))
    team = models.ForeignKey(
        "users.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="trigger_rules",
        help_text=_("Blank: a global rule (admins). Set: this team's rule (its lead)."),
    )
    cooldown_days = models.PositiveSmallIntegerField(default=14, help_text=_("Quiet period after a flag closes."))
    auto_close = models.BooleanField(default=True, help_text=_("Close the flag when the condition no longer holds."))
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "health_triggerrule"  # the table predates the split of the health app
        ordering = ["-severity", "name"]

    def __str__(self) -> str:
        return self.name


class FlagStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("flag status", "Open")
    SNOOZED = "snoozed", _("Snoozed")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


LIVE_FLAG_STATUSES = (FlagStatus.OPEN, FlagStatus.SNOOZED)


class Resolution(models.TextChoices):
    HANDLED = "handled", _("Handled (call logged)")
    CLEARED = "cleared", _("Condition no longer holds")
    DISMISSED = "dismissed", _("Dismissed as not useful")


class PushState(models.TextChoices):
    """Whether a flag was put in front of its AM (My day, a notification, the digest) under the weekly cap."""

    PENDING = "pending", _("Waiting for the weekly cap")  # opened by a morning run that has not finished
    PUSHED = "pushed", _("Pushed to the account manager")
    HELD = "held", _("Held back by the weekly cap")


class Flag(models.Model):
    """'Call this account now, and here is why.' At most one live flag per client and rule."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="flags")
    rule = models.ForeignKey(TriggerRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags")
    title = models.CharField(max_length=200)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags"
    )
    evidence = models.TextField(help_text=_("Why, in words and numbers."))
    measure = models.FloatField(default=0, help_text=_("How bad, as one number (higher is worse): for 'until worse'."))
    data = models.JSONField(default=dict, blank=True)
    opened_on = models.DateField()
    last_seen_on = models.DateField()
    snoozed_until = models.DateField(null=True, blank=True)
    snooze_until_worse = models.BooleanField(default=False)
    snooze_measure = models.FloatField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        "interactions.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="flags"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Set for a flag raised by hand."),
    )
    push_state = models.CharField(
        _("pushed"), max_length=8, choices=PushState.choices, default=PushState.PUSHED, db_index=True
    )
    pushed_on = models.DateField(_("pushed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    # Who reassigned, handled or closed a flag through a service, and when (the morning run's bulk writes are not
    # in it: its runs and chunks are the record of those).
    history = HistoricalRecords(table_name="flags_historicalflag")

    class Meta:
        db_table = "health_flag"  # the table predates the split of the health app
        ordering = ["-severity", "-opened_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "rule"],
                condition=Q(status__in=["open", "snoozed"]) & Q(rule__isnull=False),
                name="one_live_flag_per_client_rule",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status"], name="flag_assignee_status"),
            models.Index(fields=["client", "status"], name="flag_client_status"),
            models.Index(fields=["rule", "client", "closed_on"], name="flag_rule_cooldown"),
            models.Index(fields=["opened_on"], name="flag_opened_on"),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.title}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_FLAG_STATUSES

    @property
    def evidence_text(self) -> str:
        """The evidence in the reader's language: its phrase (``data["said"]``, core.phrases), else the text stored
        with it (a flag raised by hand, or one written before phrases)."""
        said = self.data.get("said") if isinstance(self.data, dict) else None
        return render(said, fallback=self.evidence)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class EvaluationRun(models.Model):
    """One day's scoring and rule evaluation; unique per date so it never runs twice at once."""

    date = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    attempt = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    clients = models.PositiveIntegerField(default=0)
    flags_opened = models.PositiveIntegerField(default=0)
    flags_closed = models.PositiveIntegerField(default=0)
    # Kept by playbooks (a run started by a flag of this evaluation), so the history shows what the day started.
    playbooks_started = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # Kept by the evaluation and its sweeper: when a chunk last finished, and when lost chunks were sent again.
    progress_at = models.DateTimeField(null=True, blank=True)
    redispatched_at = models.DateTimeField(null=True, blank=True)
    redispatched_chunks = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "health_evaluationrun"  # the table predates the split of the health app
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"Evaluation {self.date} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class EvaluationChunk(models.Model):
    """A slice of clients of a run; marked done in the same transaction as its flags (redelivery-safe)."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="chunks")
    attempt = models.PositiveIntegerField()
    index = models.PositiveIntegerField()
    client_ids = models.JSONField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "health_evaluationchunk"  # the table predates the split of the health app
        constraints = [models.UniqueConstraint(fields=["run", "attempt", "index"], name="one_chunk_per_slot")]

    def __str__(self) -> str:
        return f"{self.run} chunk {self.index}"


class RuleScorecard(models.Model):
    """A rule's back-test figures, refreshed nightly (flags.tasks.refresh_rule_scorecards), so the rules page reads
    one row per rule instead of replaying anything. ``figures`` is flags.backtest.summary()."""

    rule = models.OneToOneField(TriggerRule, on_delete=models.CASCADE, related_name="scorecard")
    computed_at = models.DateTimeField()
    start = models.DateField()
    end = models.DateField()
    horizon_days = models.PositiveSmallIntegerField()
    figures = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Scorecard of {self.rule_id} ({self.start}..{self.end})"


class BacktestStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BacktestJob(models.Model):
    """A back-test running in the background (a year over many clients takes a while); the page polls its progress."""

    rule = models.ForeignKey(TriggerRule, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # A rule not saved (yet): kind, params, cooldown_days, auto_close, segment, team_id, already validated.
    draft = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    days = models.PositiveSmallIntegerField()
    horizon_days = models.PositiveSmallIntegerField()
    until = models.DateField()
    status = models.CharField(max_length=10, choices=BacktestStatus.choices, default=BacktestStatus.QUEUED)
    days_done = models.PositiveSmallIntegerField(default=0)
    figures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Back-test {self.pk} of rule {self.rule_id} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.days_done / self.days) if self.days else 0
