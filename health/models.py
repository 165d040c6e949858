"""Versioned health models and the daily health score of each client."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import Client
from core import phrases


class Band(models.TextChoices):
    GREEN = "green", pgettext_lazy("health band", "Green")
    YELLOW = "yellow", pgettext_lazy("health band", "Yellow")
    RED = "red", pgettext_lazy("health band", "Red")


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
    # Set when this version was made by restoring an earlier one (the audit of a restore: who, when, from what).
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("restored from")
    )

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

    @property
    def weakest_said(self) -> str:
        """The weakest component's name in the reader's language (``weakest`` is stored in the default one)."""
        return weakest_in_words(self.weakest, self.components)


def weakest_in_words(weakest: str, components: list | None) -> str:
    """``weakest`` (a component's stored label) in the active language, through that component's label phrase."""
    for component in components or []:
        if isinstance(component, dict) and component.get("label") == weakest and component.get("label_said"):
            return phrases.render(component["label_said"], fallback=weakest)
    return weakest


class RescoreDue(models.Model):
    """A client's score of a day that new facts (KPI batches, a held review) made stale: one row however many
    batches arrive before the re-score runs, so a backend pushing batch after batch costs one re-score."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "date"], name="one_rescore_due_per_client_day")]
        indexes = [models.Index(fields=["due_at"], name="rescore_due_at")]

    def __str__(self) -> str:
        return f"Re-score {self.client_id} on {self.date} (due {self.due_at:%H:%M:%S})"


class RescoreRequest(models.Model):
    """An admin's "re-score now": the day's scores of every live client, queued to the workers. Its progress is read
    from the scores computed since it was requested, so nothing but this row is written in the request."""

    on_date = models.DateField(verbose_name=_("day scored"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(verbose_name=_("requested at"))
    clients = models.PositiveIntegerField(verbose_name=_("clients to score"))

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("re-score request")
        verbose_name_plural = _("re-score requests")

    def __str__(self) -> str:
        return f"Re-score {self.on_date} ({self.requested_at:%Y-%m-%d %H:%M})"


class CalibrationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CalibrationJob(models.Model):
    """The calibration of a model (the active one, or a draft being previewed) against the churn history, computed
    by a worker (it re-scores every client on past days, too slow for a request); the model page shows the latest
    and polls a running one."""

    model = models.ForeignKey(HealthModel, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # A draft (not saved): {"components": [...], "green_min": x, "yellow_min": y}, already validated.
    draft = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    until = models.DateField()
    status = models.CharField(max_length=10, choices=CalibrationStatus.choices, default=CalibrationStatus.QUEUED)
    days_total = models.PositiveSmallIntegerField(default=0)
    days_done = models.PositiveSmallIntegerField(default=0)
    figures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["model", "status", "-created_at"], name="calibration_job_latest")]

    def __str__(self) -> str:
        return f"Calibration {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.days_done / self.days_total) if self.days_total else 0
