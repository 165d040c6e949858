"""Writes of the KPI app: batches of values from the API and CSV files from the backend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import IO

from django.db import transaction

from core import events
from core.errors import NotAllowedError
from kpis import csv_import, ingest
from kpis.models import Metric
from users import permissions as rules
from users.models import User

# Published inside the writing transaction with ``client_ids`` and ``dates``; health re-scores on it.
KPI_VALUES_WRITTEN = "kpis.values_written"


# The KPIs every installation starts with (the data migration health 0002 wrote the same set; a
# migration keeps its own frozen copy, this is the one the code uses).
DEFAULT_METRICS = [
    ("orders", "Orders", "orders", True, "sum", "Orders placed per day."),
    ("revenue", "Revenue", "EUR", True, "sum", "Revenue booked per day."),
    ("late_deliveries", "Late deliveries", "deliveries", False, "sum", "Deliveries that arrived late."),
    ("support_incidents", "Support incidents", "tickets", False, "sum", "Support tickets opened."),
    ("nps", "NPS", "points", True, "mean", "Net promoter score from surveys (-100 to 100)."),
]


def metrics_ensure_defaults() -> list[Metric]:
    """Create the default metrics that are missing; existing ones are left as their admins edited them."""
    metrics = []
    for key, name, unit, higher, aggregation, description in DEFAULT_METRICS:
        metric, _ = Metric.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "unit": unit,
                "higher_is_better": higher,
                "aggregation": aggregation,
                "description": description,
            },
        )
        metrics.append(metric)
    return metrics


def _announce(client_ids: set[int], dates: set[dt.date]) -> None:
    if client_ids and dates:
        events.publish(KPI_VALUES_WRITTEN, client_ids=set(client_ids), dates=set(dates))


def metric_values_ingest(*, rows: Sequence[object], by: User, text_values: bool = False) -> ingest.IngestResult:
    """Validate a batch (≤ 10,000 rows) and upsert it; nothing is written if any row is bad."""
    if not rules.can_push_kpis(by):
        raise NotAllowedError("Only admins push KPI values.")
    result = ingest.IngestResult(received=len(rows))
    if len(rows) > ingest.MAX_BATCH_ROWS:
        result.errors.append({"row": None, "errors": {"rows": f"at most {ingest.MAX_BATCH_ROWS} rows per batch"}})
        return result
    parsed, errors = ingest.validate_rows(rows, text_values=text_values)
    if errors:
        result.errors = errors
        return result
    with transaction.atomic():
        result.written = ingest.upsert_values(parsed)
        result.client_ids = {row[0] for row in parsed}
        result.dates = {row[2] for row in parsed}
        if result.written:
            _announce(result.client_ids, result.dates)
    return result


def metric_values_import_csv(
    *, stream: IO[str], dry_run: bool = False, rescore: bool = True, today: dt.date | None = None
) -> csv_import.CsvImportResult:
    """The backend's daily CSV (manage.py import_kpis): all or nothing; the same file twice changes nothing."""
    with transaction.atomic():
        result = csv_import.import_kpi_csv(stream, dry_run=dry_run, today=today)
        if result.ok and not dry_run and rescore and result.written and result.latest_date:
            _announce(set(result.client_ids), {result.latest_date})
    return result
