from django.conf import settings
from django.db import models
from django.db.models import Q

from clients.models import Client


class Aggregation(models.TextChoices):
    SUM = "sum", "Sum over the window"
    MEAN = "mean", "Mean over the window"
    LAST = "last", "Last value in the window"


class Metric(models.Model):
    """A KPI the company backend sends daily, e.g. orders, revenue, support incidents, NPS."""

    key = models.SlugField(max_length=50, unique=True, help_text="Used by the ingestion API and CSV files.")
    name = models.CharField(max_length=100)
    unit = models.CharField(max_length=20, blank=True)
    higher_is_better = models.BooleanField(default=True)
    aggregation = models.CharField(max_length=4, choices=Aggregation.choices, default=Aggregation.SUM)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MetricValue(models.Model):
    """One value per client, metric and day; upserted by ingestion.

    The largest table by far (millions of rows), written in bulk: ingestion checks every
    reference itself before writing, so the database-level foreign keys, their single-column
    indexes and a surrogate id, which together doubled the cost of every insert, are left
    out. The natural key (client, metric, date) is the primary key in Django and a unique
    index in the database; Django still cascades deletes. A BRIN index on date (PostgreSQL,
    migration 0004) serves the all-client window scans of scoring.
    """

    pk = models.CompositePrimaryKey("client", "metric", "date")
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="metric_values", db_constraint=False, db_index=False
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, related_name="values", db_constraint=False, db_index=False
    )
    date = models.DateField()
    value = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "metric", "date"], name="metric_value_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}/{self.metric_id}/{self.date}: {self.value}"


class Band(models.TextChoices):
    GREEN = "green", "Green"
    YELLOW = "yellow", "Yellow"
    RED = "red", "Red"


class HealthModel(models.Model):
    """A versioned scoring configuration. Saving a change creates a new version; one is active."""

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=100, default="Health model")
    # [{"kind": ..., "weight": float, "label": str, "params": {...}}]; validated by health.scoring.
    components = models.JSONField()
    green_min = models.FloatField(default=70)
    yellow_min = models.FloatField(default=40)
    is_active = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_health_model"),
            models.CheckConstraint(condition=Q(yellow_min__lte=models.F("green_min")), name="health_bands_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class HealthScore(models.Model):
    """A client's health on a date, with everything needed to explain it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="health_scores")
    date = models.DateField()
    model = models.ForeignKey(HealthModel, on_delete=models.PROTECT, related_name="scores")
    score = models.FloatField()
    band = models.CharField(max_length=6, choices=Band.choices)
    coverage = models.FloatField(help_text="Share of the model's weight whose inputs were present (0-1).")
    weakest = models.CharField(max_length=100, blank=True, help_text="The component that pulls the score down most.")
    # Per component: kind, label, weight, sub_score, contribution, missing, explanation, raw inputs.
    components = models.JSONField()
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "date"], name="health_score_one_per_day"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="health_score_range"),
        ]
        indexes = [models.Index(fields=["date", "band"], name="health_score_date_band")]
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.client_id} {self.date}: {self.score:.0f} ({self.band})"


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


class RuleKind(models.TextChoices):
    KPI_DROP = "kpi_drop", "KPI dropped by X%"
    KPI_THRESHOLD = "kpi_threshold", "KPI crossed a threshold"
    NO_CONTACT = "no_contact", "No contact (days or beyond cadence)"
    HEALTH_BELOW = "health_below", "Health score below X"
    HEALTH_DROP = "health_drop", "Health dropped by X points"
    COMMITMENT_OVERDUE = "commitment_overdue", "Commitment overdue"
    RENEWAL_NO_REVIEW = "renewal_no_review", "Renewal near, no review this quarter"
    STAKEHOLDER_LEFT = "stakeholder_left", "Key stakeholder left"


class TriggerRule(models.Model):
    """When to tell an AM to pick up the phone. Global (admin) or for one team (its lead)."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    params = models.JSONField(default=dict, help_text="Validated by health.rules for the kind.")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    segment = models.CharField(max_length=20, blank=True, help_text="Only clients of this segment (blank: all).")
    team = models.ForeignKey(
        "users.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="trigger_rules",
        help_text="Blank: a global rule (admins). Set: this team's rule (its lead).",
    )
    cooldown_days = models.PositiveSmallIntegerField(default=14, help_text="Quiet period after a flag closes.")
    auto_close = models.BooleanField(default=True, help_text="Close the flag when the condition no longer holds.")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-severity", "name"]

    def __str__(self) -> str:
        return self.name


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


LIVE_FLAG_STATUSES = (FlagStatus.OPEN, FlagStatus.SNOOZED)


class Resolution(models.TextChoices):
    HANDLED = "handled", "Handled (call logged)"
    CLEARED = "cleared", "Condition no longer holds"
    DISMISSED = "dismissed", "Dismissed as not useful"


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
    evidence = models.TextField(help_text="Why, in words and numbers.")
    measure = models.FloatField(default=0, help_text="How bad, as one number (higher is worse): for 'until worse'.")
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
        help_text="Set for a flag raised by hand.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
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


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


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
    errors = models.JSONField(default=list, blank=True)

    class Meta:
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
        constraints = [models.UniqueConstraint(fields=["run", "attempt", "index"], name="one_chunk_per_slot")]

    def __str__(self) -> str:
        return f"{self.run} chunk {self.index}"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    flag = models.ForeignKey(Flag, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.text
