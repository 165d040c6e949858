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
    reference itself before writing, so the database-level foreign keys and their single-
    column indexes, which would double the cost of every insert, are left out. Django still
    cascades deletes. The unique (client, metric, date) index serves per-client reads; a BRIN
    index on date (PostgreSQL, migration 0003) serves the all-client window scans of scoring.
    """

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
