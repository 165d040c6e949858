"""Reads of KPI values: the windows the health score and the rules read, and the chart series."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db import connection

from clients.models import Client
from kpis.models import Metric, MetricValue


def last_values(
    *, on_date: dt.date, days: int, metric_ids: list[int], client_ids: Sequence[int] | None
) -> dict[tuple[int, int], tuple[float | None, float | None]]:
    if not metric_ids:
        return {}
    table = MetricValue._meta.db_table
    split = on_date - dt.timedelta(days=days)
    params: list = [split, split]
    metric_marks = ", ".join(["%s"] * len(metric_ids))
    params += metric_ids
    params += [on_date - dt.timedelta(days=2 * days), on_date]
    client_sql = ""
    if client_ids is not None:
        client_sql = f" AND client_id IN ({', '.join(['%s'] * len(client_ids))})"
        params += list(client_ids)
    sql = f"""
        SELECT client_id, metric_id, is_current, value FROM (
            SELECT client_id, metric_id, (date > %s) AS is_current, value,
                   ROW_NUMBER() OVER (PARTITION BY client_id, metric_id, (date > %s) ORDER BY date DESC) AS rn
            FROM {table}
            WHERE metric_id IN ({metric_marks}) AND date > %s AND date <= %s{client_sql}
        ) ranked WHERE rn = 1
    """
    found: dict[tuple[int, int], list] = defaultdict(lambda: [None, None])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for client_id, metric_id, is_current, value in cursor.fetchall():
            found[(client_id, metric_id)][0 if is_current else 1] = value
    return {key: (pair[0], pair[1]) for key, pair in found.items()}


def kpi_series(*, client: Client, days: int = 180, until: dt.date) -> dict[str, dict]:
    """Daily values per active metric for the chart: {key: {"name", "unit", "points": [(date, value)]}}."""
    metrics = {m.pk: m for m in Metric.objects.filter(is_active=True)}
    series: dict[str, dict] = {
        m.key: {"name": m.name, "unit": m.unit, "higher_is_better": m.higher_is_better, "points": []}
        for m in metrics.values()
    }
    rows = (
        MetricValue.objects.filter(client=client, date__gt=until - dt.timedelta(days=days), date__lte=until)
        .order_by("metric_id", "date")
        .values_list("metric_id", "date", "value")
    )
    for metric_id, date, value in rows:
        if metric_id in metrics:
            series[metrics[metric_id].key]["points"].append((date.isoformat(), value))
    return series
