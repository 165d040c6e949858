"""KPIs the company backend sends: metrics and one value per client, metric and day."""

from django.db import models

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
        db_table = "health_metric"  # the table predates the split of the health app
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
        db_table = "health_metricvalue"  # the table predates the split of the health app
        constraints = [
            models.UniqueConstraint(fields=["client", "metric", "date"], name="metric_value_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}/{self.metric_id}/{self.date}: {self.value}"
