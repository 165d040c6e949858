"""KPIs the company backend sends: metrics and one value per client, metric and day."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Client


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum over the window")
    MEAN = "mean", _("Mean over the window")
    LAST = "last", _("Last value in the window")


class Frequency(models.TextChoices):
    """How often the backend is expected to send a value (kpis.windows.PERIOD_DAYS gives the days)."""

    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class Metric(models.Model):
    """A KPI the company backend sends daily, e.g. orders, revenue, support incidents, NPS."""

    key = models.SlugField(
        _("key"), max_length=50, unique=True, help_text=_("Used by the ingestion API and CSV files.")
    )
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    aggregation = models.CharField(_("aggregation"), max_length=4, choices=Aggregation.choices, default=Aggregation.SUM)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    min_value = models.FloatField(
        _("lowest valid value"), null=True, blank=True, help_text=_("Ingestion refuses lower values (blank: no limit).")
    )
    max_value = models.FloatField(
        _("highest valid value"),
        null=True,
        blank=True,
        help_text=_("Ingestion refuses higher values (blank: no limit)."),
    )
    frequency = models.CharField(
        _("expected frequency"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.DAILY,
        help_text=_("How often a value is expected: coverage and staleness are measured against it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "health_metric"  # the table predates the split of the health app
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="metric_range_ordered",
            ),
        ]

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
        db_table = "health_metricvalue"  # the table predates the split of the health app
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        constraints = [
            models.UniqueConstraint(fields=["client", "metric", "date"], name="metric_value_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}/{self.metric_id}/{self.date}: {self.value}"


class QuarantineStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted (scored)")
    REJECTED = "rejected", _("Rejected")


class QuarantinedValue(models.Model):
    """A value that ingestion held back as a sudden outlier (kpis.ingest.OUTLIER_FACTOR times the client's median):
    not in MetricValue, so nothing scores it, until an admin accepts it (kpis.services.quarantined_value_accept).

    A small table beside the largest one: MetricValue stays lean and every reader of it stays unaware.
    """

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="quarantined_values", verbose_name=_("client")
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, related_name="quarantined_values", verbose_name=_("KPI")
    )
    date = models.DateField(_("date"))
    value = models.FloatField(_("value"))
    median = models.FloatField(_("median"), help_text=_("The client's median of this KPI over the 90 days before."))
    status = models.CharField(
        _("status"), max_length=10, choices=QuarantineStatus.choices, default=QuarantineStatus.PENDING
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("quarantined KPI value")
        verbose_name_plural = _("quarantined KPI values")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "metric", "date"],
                condition=Q(status="pending"),
                name="one_pending_quarantine_per_value",
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="quarantine_status")]

    def __str__(self) -> str:
        return f"{self.client_id}/{self.metric_id}/{self.date}: {self.value} (median {self.median})"


class OutlierReference(models.Model):
    """The outlier rule's reference for one client and KPI, kept rather than recomputed (PostgreSQL): the median
    |value| of the OUTLIER_HISTORY_DAYS before ``as_of`` (None: fewer than OUTLIER_MIN_HISTORY values, so a value
    on that day is never an outlier). A batch's single value on ``as_of`` is then judged with one lookup instead of
    reading 90 stored values (kpis.references).

    Exact while it exists: every write of a value inside the window deletes it, in the writer's transaction, and it
    is computed under a lock no writer holds meanwhile. Written by a worker after each batch, for the next day.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+", db_index=False)
    as_of = models.DateField()
    median = models.FloatField(null=True)

    class Meta:
        verbose_name = _("KPI outlier reference")
        verbose_name_plural = _("KPI outlier references")
        constraints = [models.UniqueConstraint(fields=["client", "metric"], name="outlier_reference_one_per_kpi")]

    def __str__(self) -> str:
        return f"{self.client_id}/{self.metric_id} as of {self.as_of}: {self.median}"
