"""Writes of the KPI app: batches of values from the API and CSV files from the backend."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core import events
from core.errors import ApplicationError, NotAllowedError
from kpis import csv_import, ingest, outliers, partitions
from kpis.models import Metric, QuarantinedValue, QuarantineStatus
from users import permissions as rules
from users.models import User

logger = logging.getLogger(__name__)

# Published inside the writing transaction with ``client_ids`` and ``dates``; health re-scores on it.
KPI_VALUES_WRITTEN = "kpis.values_written"


# The KPIs every installation starts with (the data migration health 0002 wrote the same set; a
# migration keeps its own frozen copy, this is the one the code uses).
# Each with its valid range (min, max; None: no limit) and expected frequency (kpis 0002 set the same).
DEFAULT_METRICS = [
    ("orders", "Orders", "orders", True, "sum", "Orders placed per day.", 0, None, "daily"),
    ("revenue", "Revenue", "EUR", True, "sum", "Revenue booked per day.", 0, None, "daily"),
    ("late_deliveries", "Late deliveries", "deliveries", False, "sum", "Deliveries that arrived late.", 0, None,
     "daily"),
    ("support_incidents", "Support incidents", "tickets", False, "sum", "Support tickets opened.", 0, None, "daily"),
    ("nps", "NPS", "points", True, "mean", "Net promoter score from surveys (-100 to 100).", -100, 100, "monthly"),
]  # fmt: skip


def metrics_ensure_defaults() -> list[Metric]:
    """Create the default metrics that are missing; existing ones are left as their admins edited them."""
    metrics = []
    for key, name, unit, higher, aggregation, description, low, high, frequency in DEFAULT_METRICS:
        metric, _ = Metric.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "unit": unit,
                "higher_is_better": higher,
                "aggregation": aggregation,
                "description": description,
                "min_value": low,
                "max_value": high,
                "frequency": frequency,
            },
        )
        metrics.append(metric)
    return metrics


def _announce(client_ids: set[int], dates: set[dt.date]) -> None:
    if client_ids and dates:
        events.publish(KPI_VALUES_WRITTEN, client_ids=set(client_ids), dates=set(dates))


def _keep_outlier_references(client_ids: set[int], dates: set[dt.date]) -> None:
    """After a batch, a worker computes the medians the next day's push will be judged by (kpis.outliers)."""
    if not (client_ids and dates and outliers.references_kept()):
        return
    from kpis import tasks

    ids, day = sorted(client_ids), max(dates).isoformat()
    transaction.on_commit(lambda: tasks.outlier_references_refresh.delay(ids, day), robust=True)


def outlier_references_refresh(*, client_ids: Sequence[int], day: dt.date) -> int:
    """The kept outlier references of these clients' KPIs for the day after ``day``; how many were written."""
    return outliers.references_refresh(client_ids=client_ids, day=day)


def metric_values_ingest(*, rows: Sequence[object], by: User, text_values: bool = False) -> ingest.IngestResult:
    """Validate a batch (≤ 10,000 rows) and upsert it; nothing is written if any row is bad."""
    if not rules.can_push_kpis(by):
        raise NotAllowedError(gettext("Only admins push KPI values."))
    result = ingest.IngestResult(received=len(rows))
    if len(rows) > ingest.MAX_BATCH_ROWS:
        result.errors.append(
            {
                "row": None,
                "errors": {
                    "rows": ngettext(
                        "at most %(count)s row per batch", "at most %(count)s rows per batch", ingest.MAX_BATCH_ROWS
                    )
                    % {"count": ingest.MAX_BATCH_ROWS}
                },
            }
        )
        return result
    with transaction.atomic():
        staged = ingest.batch_write_staged(rows, text_values=text_values)  # PostgreSQL, a batch of plain rows
        if staged is not None:
            result.written, result.client_ids, result.dates = staged.written, staged.client_ids, staged.dates
            if result.written:
                _announce(result.client_ids, result.dates)
                _keep_outlier_references(result.client_ids, result.dates)
            return result
    # The row-by-row rules: SQLite, and any batch the staged path leaves to them (a bad row, a possible outlier).
    parsed, errors = ingest.validate_rows(rows, text_values=text_values)
    if errors:
        result.errors = errors
        return result
    keep, held = ingest.split_outliers(parsed)
    with transaction.atomic():
        result.written = ingest.upsert_values(keep)
        result.quarantined = _quarantine(held)
        result.client_ids = {row[0] for row in keep}
        result.dates = {row[2] for row in keep}
        if result.written:
            _announce(result.client_ids, result.dates)
            _keep_outlier_references(result.client_ids, result.dates)
    return result


def metric_values_record(*, rows: Sequence[dict]) -> ingest.IngestResult:
    """Values the product computes itself from what it records (survey answers as NPS and CSAT): the batch path's
    validation (client, KPI, date, valid range; all or nothing), upsert and announcement (health re-scores), without
    a person's role to check and without the outlier hold, which guards against a backend's glitches, not against
    the product's own arithmetic. Runs in the caller's transaction."""
    result = ingest.IngestResult(received=len(rows))
    parsed, errors = ingest.validate_rows(rows)
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


def _quarantine(held: Sequence[tuple[int, int, dt.date, float, float]]) -> int:
    """Hold sudden outliers for review; the same outlier sent again while it waits is not held twice."""
    QuarantinedValue.objects.bulk_create(
        [QuarantinedValue(client_id=c, metric_id=m, date=d, value=v, median=median) for c, m, d, v, median in held],
        ignore_conflicts=True,
    )
    return len(held)


def metric_values_import_csv(
    *, stream: IO[str], dry_run: bool = False, rescore: bool = True, today: dt.date | None = None
) -> csv_import.CsvImportResult:
    """The backend's daily CSV (manage.py import_kpis): all or nothing; the same file twice changes nothing."""
    with transaction.atomic():
        result = csv_import.import_kpi_csv(stream, dry_run=dry_run, today=today)
        if result.ok and not dry_run:
            _quarantine(result.held)
            if result.written and result.latest_date:
                _keep_outlier_references(set(result.client_ids), {result.latest_date})
        if result.ok and not dry_run and rescore and result.written and result.latest_date:
            _announce(set(result.client_ids), {result.latest_date})
    return result


def _decide(item: QuarantinedValue, *, by: User, now: dt.datetime | None, status: str) -> QuarantinedValue:
    if not rules.can_push_kpis(by):
        raise NotAllowedError(gettext("Only admins review quarantined KPI values."))
    locked = QuarantinedValue.objects.select_for_update().get(pk=item.pk)
    if locked.status != QuarantineStatus.PENDING:
        raise ApplicationError(
            gettext("This value was already %(status)s.") % {"status": locked.get_status_display().lower()}
        )
    locked.status, locked.decided_by, locked.decided_at = status, by, now or timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked


@transaction.atomic
def quarantined_value_accept(*, item: QuarantinedValue, by: User, now: dt.datetime | None = None) -> QuarantinedValue:
    """The outlier is real: it becomes the KPI value of its day (replacing any) and the client is re-scored."""
    item = _decide(item, by=by, now=now, status=QuarantineStatus.ACCEPTED)
    if ingest.upsert_values([(item.client_id, item.metric_id, item.date, item.value)]):
        _announce({item.client_id}, {item.date})
    return item


@transaction.atomic
def quarantined_value_reject(*, item: QuarantinedValue, by: User, now: dt.datetime | None = None) -> QuarantinedValue:
    """The outlier is bad data: it stays out of the KPI values (kept here, marked rejected, for the record)."""
    return _decide(item, by=by, now=now, status=QuarantineStatus.REJECTED)


def metric_value_partitions_maintain(*, today: dt.date) -> dict[str, list[str]]:
    """The periodic upkeep of the monthly partitions (PostgreSQL; nothing elsewhere): create this month and the
    KPI_PARTITIONS_AHEAD following, and, when KPI_RETENTION_MONTHS is set, detach the months older than that (the
    tables stay, unread, until an operator drops them). Idempotent."""
    created = partitions.ensure_ahead(today=today, months_ahead=settings.KPI_PARTITIONS_AHEAD)
    detached: list[str] = []
    if settings.KPI_RETENTION_MONTHS:
        keep_from = partitions.add_months(partitions.month_start(today), -settings.KPI_RETENTION_MONTHS)
        detached = partitions.detach_before(month=keep_from)
    if created or detached:
        logger.info("KPI partitions: created %s, detached %s", created, detached)
    return {"created": created, "detached": detached}
