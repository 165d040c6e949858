"""Reads of KPI values: the one KPI-window implementation (health, rules and reviews read it) and the charts."""

from __future__ import annotations

import datetime as dt
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import accumulate

from django.db import connection
from django.db.models import Avg, Count, Q, Sum

from clients.models import Client
from kpis.models import Aggregation, Metric, MetricValue
from kpis.windows import LAST, MEAN, KpiWindow, MetricMeta, WindowSpan


def metric_metadata() -> dict[str, MetricMeta]:
    """The active metrics as the pure formulas read them, by key."""
    return {
        m.key: MetricMeta(
            m.key, m.name, m.unit, m.higher_is_better, m.aggregation, m.frequency, m.min_value, m.max_value
        )
        for m in Metric.objects.filter(is_active=True)
    }


def _last_values(
    *, span: WindowSpan, metric_ids: list[int], client_ids: Sequence[int] | None, known_at: dt.datetime | None = None
) -> dict[tuple[int, int], tuple[float | None, float | None]]:
    """(client, metric) -> (last recent value, last baseline value): one ranked query for all of them."""
    if not metric_ids:
        return {}
    table = MetricValue._meta.db_table
    metric_marks = ", ".join(["%s"] * len(metric_ids))
    params: list = [span.recent_start, span.recent_start, *metric_ids]
    params += [span.baseline_start, span.baseline_end, span.recent_start, span.recent_end]
    client_sql = ""
    if client_ids is not None:
        client_sql = f" AND client_id IN ({', '.join(['%s'] * len(client_ids))})"
        params += list(client_ids)
    if known_at is not None:
        client_sql += " AND updated_at <= %s"
        params.append(known_at)
    sql = f"""
        SELECT client_id, metric_id, is_recent, value FROM (
            SELECT client_id, metric_id, (date >= %s) AS is_recent, value,
                   ROW_NUMBER() OVER (PARTITION BY client_id, metric_id, (date >= %s) ORDER BY date DESC) AS rn
            FROM {table}
            WHERE metric_id IN ({metric_marks})
              AND ((date >= %s AND date <= %s) OR (date >= %s AND date <= %s)){client_sql}
        ) ranked WHERE rn = 1
    """
    found: dict[tuple[int, int], list] = defaultdict(lambda: [None, None])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for client_id, metric_id, is_recent, value in cursor.fetchall():
            found[(client_id, metric_id)][0 if is_recent else 1] = value
    return {key: (pair[0], pair[1]) for key, pair in found.items()}


def kpi_windows_over(
    *,
    span: WindowSpan,
    metrics: Sequence[Metric],
    client_ids: Sequence[int] | None = None,
    known_at: dt.datetime | None = None,
) -> dict[int, dict[str, KpiWindow]]:
    """client -> metric key -> window over ``span``: one grouped query, plus one for 'last' metrics.

    ``client_ids=None`` reads every client (the morning run over the whole portfolio).
    """
    if not metrics or (client_ids is not None and not client_ids):
        return {}
    recent = Q(date__gte=span.recent_start, date__lte=span.recent_end)
    baseline = Q(date__gte=span.baseline_start, date__lte=span.baseline_end)
    scope = Q(client_id__in=list(client_ids)) if client_ids is not None else Q()
    if known_at is not None:  # the values as stored at that moment (a replay of a past morning)
        scope &= Q(updated_at__lte=known_at)
    rows = (
        MetricValue.objects.filter(scope, recent | baseline, metric__in=list(metrics))
        .values("client_id", "metric_id")
        .annotate(
            recent_sum=Sum("value", filter=recent),
            recent_mean=Avg("value", filter=recent),
            recent_count=Count("value", filter=recent),
            baseline_sum=Sum("value", filter=baseline),
            baseline_mean=Avg("value", filter=baseline),
            baseline_count=Count("value", filter=baseline),
        )
        .order_by()
    )
    by_pk = {m.pk: m for m in metrics}
    latest = _last_values(
        span=span,
        metric_ids=[m.pk for m in metrics if m.aggregation == Aggregation.LAST],
        client_ids=client_ids,
        known_at=known_at,
    )
    result: dict[int, dict[str, KpiWindow]] = defaultdict(dict)
    for row in rows:
        metric = by_pk[row["metric_id"]]
        if metric.aggregation == Aggregation.MEAN:
            recent_value, baseline_value = row["recent_mean"], row["baseline_mean"]
        elif metric.aggregation == Aggregation.LAST:
            recent_value, baseline_value = latest.get((row["client_id"], metric.pk), (None, None))
        else:
            recent_value, baseline_value = row["recent_sum"], row["baseline_sum"]
        result[row["client_id"]][metric.key] = KpiWindow(
            metric=metric.key,
            recent_days=span.recent_days,
            baseline_days=span.baseline_days,
            recent_value=recent_value,
            baseline_value=baseline_value,
            recent_count=row["recent_count"],
            baseline_count=row["baseline_count"],
        )
    return result


def kpi_windows(
    *,
    on_date: dt.date,
    needed: Iterable[tuple[str, int, int]],
    client_ids: Sequence[int] | None = None,
    known_at: dt.datetime | None = None,
    metrics: dict[str, Metric] | None = None,
) -> dict[int, dict[tuple[str, int, int], KpiWindow]]:
    """client -> (metric, recent days, baseline days) -> window ending on ``on_date``.

    One grouped query per distinct (recent, baseline) span, whatever the number of clients and metrics (plus one
    for the metrics, unless ``metrics``, key -> Metric, is given: a replay of many days reads them once).
    """
    needed = set(needed)
    if metrics is None:
        metrics = {m.key: m for m in Metric.objects.filter(key__in={key for key, _, _ in needed})}
    by_span: dict[tuple[int, int], list[Metric]] = defaultdict(list)
    for key, recent_days, baseline_days in needed:
        if key in metrics:
            by_span[(recent_days, baseline_days)].append(metrics[key])
    result: dict[int, dict[tuple[str, int, int], KpiWindow]] = defaultdict(dict)
    for (recent_days, baseline_days), span_metrics in by_span.items():
        span = WindowSpan.ending(on_date, recent_days=recent_days, baseline_days=baseline_days)
        for client_id, windows in kpi_windows_over(
            span=span, metrics=span_metrics, client_ids=client_ids, known_at=known_at
        ).items():
            for window in windows.values():
                result[client_id][window.key] = window
    return result


class KpiWindowsOverDays:
    """``kpi_windows`` for every day of a period (a replay of many mornings): the values the windows of the period
    can reach are read once (one query per metric, in date order), then each day is answered in memory with the
    same values, counts and aggregation as the grouped query of ``kpi_windows``, including its ``known_at``.

    ``stamps``: also read when each value was stored, for the days asked with a ``known_at`` (a replay of a day that
    had a morning run); without it those days cannot be answered and ``windows_on`` raises.
    """

    def __init__(
        self,
        *,
        needed: Iterable[tuple[str, int, int]],
        client_ids: Sequence[int],
        start: dt.date,
        end: dt.date,
        metrics: dict[str, Metric] | None = None,
        stamps: bool = False,
    ) -> None:
        needed = set(needed)
        if metrics is None:
            metrics = {m.key: m for m in Metric.objects.filter(key__in={key for key, _, _ in needed})}
        self.start, self.end, self.stamps = start, end, stamps
        self.asked = frozenset(needed)
        self.needed = sorted((key, recent, baseline) for key, recent, baseline in needed if key in metrics)
        self._metrics = {key: metrics[key] for key, _, _ in self.needed}
        self._series: dict[str, dict[int, _Series]] = {}
        self._first: dict[str, int] = {}  # metric key -> the ordinal of the first day read
        ids = list(client_ids)
        for key in sorted(self._metrics):
            longest = max(recent + baseline for k, recent, baseline in self.needed if k == key)
            first = start - dt.timedelta(days=longest - 1)
            self._first[key] = first.toordinal()
            fields = ["client_id", "date", "value", *(["updated_at"] if stamps else [])]
            rows = (
                MetricValue.objects.filter(metric=self._metrics[key], client_id__in=ids, date__gte=first, date__lte=end)
                .order_by("client_id", "date")
                .values_list(*fields)
            )
            series: dict[int, _Series] = {}
            current = None
            for row in rows.iterator(chunk_size=20_000):
                if row[0] != current:
                    current = row[0]
                    one = series[current] = _Series([], array("d"), array("d") if stamps else None)
                one.days.append(row[1].toordinal())
                one.values.append(row[2])
                if stamps:
                    one.stored.append(row[3].timestamp())
            for one in series.values():
                one.finish(first=first.toordinal(), last=end.toordinal())
            self._series[key] = series

    def windows_on(
        self, *, on_date: dt.date, client_ids: Iterable[int], known_at: dt.datetime | None = None
    ) -> dict[int, dict[tuple[str, int, int], KpiWindow]]:
        """What ``kpi_windows(on_date=, needed=, client_ids=, known_at=)`` answers, for a day of the period."""
        if not self.start <= on_date <= self.end:
            raise ValueError(f"{on_date} is outside the period read ({self.start}..{self.end})")
        if known_at is not None and not self.stamps:
            raise ValueError("known_at needs the values' stored times (stamps=True)")
        cutoff = known_at.timestamp() if known_at is not None else None
        ids = list(client_ids)
        result: dict[int, dict[tuple[str, int, int], KpiWindow]] = {}
        for key, recent_days, baseline_days in self.needed:
            aggregation = str(self._metrics[key].aggregation)
            span = WindowSpan.ending(on_date, recent_days=recent_days, baseline_days=baseline_days)
            recent_length, baseline_length = span.recent_days, span.baseline_days
            window_key = (key, recent_length, baseline_length)
            # Offsets into each series' counts (see _Series.finish). An empty baseline (no days) starts where the
            # recent stretch starts: it then holds no value.
            base = self._first[key]
            first = min(span.baseline_start, span.recent_start).toordinal() - base
            recent_first, after = span.recent_start.toordinal() - base, on_date.toordinal() - base + 1
            series = self._series[key]
            for client_id in ids:
                one = series.get(client_id)
                if one is None:
                    continue
                before = one.before
                low, middle, high = before[first], before[recent_first], before[after]
                if low == high:
                    continue  # no value in either stretch: the grouped query has no row for it
                if cutoff is not None and max(one.stored[low:high]) > cutoff:  # some stored after that morning
                    window = one.window_known_at(window_key, aggregation, low, middle, high, cutoff)
                    if window is None:
                        continue
                else:
                    window = one.window(window_key, aggregation, low, middle, high)
                if client_id in result:
                    result[client_id][window_key] = window
                else:
                    result[client_id] = {window_key: window}
        return result


class _Series:
    """One client's values of one metric, oldest first (at most one a day): the values, when each was stored (POSIX
    seconds, when read), and once read (``finish``) how many values lie before each day of the period, and the
    running totals when every value is a whole number. Arrays of C doubles: a year of 10,000 clients is millions."""

    __slots__ = ("before", "days", "stored", "totals", "values")

    def __init__(self, days: list[int], values: array, stored: array | None) -> None:
        self.days, self.values, self.stored = days, values, stored
        self.before = array("I")
        self.totals: array | None = None

    def finish(self, *, first: int, last: int) -> None:
        """``before[i]``: how many values lie before day ``first + i`` (so a stretch of days is a slice of the
        values, found in constant time), for every day up to the one after ``last``; the day ordinals are then
        dropped. Running totals, so a stretch's sum is one subtraction, only for whole numbers whose magnitudes add
        up to less than 2**52: every partial sum is then exact, so the difference is exactly the sum SQL adds up
        row by row (in any order); other values are summed stretch by stretch, in date order."""
        present = bytearray(last - first + 2)
        for day in self.days:
            present[day - first + 1] = 1
        self.before = array("I", accumulate(present))
        self.days = []
        values = self.values
        if all(map(float.is_integer, values)) and sum(map(abs, values)) < 2**52:
            self.totals = array("d", [0.0, *accumulate(values)])

    def window(self, key: tuple[str, int, int], aggregation: str, low: int, middle: int, high: int) -> KpiWindow:
        """The window over the baseline values [low, middle) and the recent ones [middle, high)."""
        values, totals = self.values, self.totals
        recent_count, baseline_count = high - middle, middle - low
        if aggregation == LAST:
            recent = values[high - 1] if recent_count else None
            baseline = values[middle - 1] if baseline_count else None
        elif totals is not None:
            recent = totals[high] - totals[middle] if recent_count else None
            baseline = totals[middle] - totals[low] if baseline_count else None
        else:
            recent = sum(values[middle:high]) if recent_count else None
            baseline = sum(values[low:middle]) if baseline_count else None
        if aggregation == MEAN:
            recent = recent / recent_count if recent_count else None
            baseline = baseline / baseline_count if baseline_count else None
        return KpiWindow(key[0], key[1], key[2], recent, baseline, recent_count, baseline_count)

    def window_known_at(
        self, key: tuple[str, int, int], aggregation: str, low: int, middle: int, high: int, cutoff: float
    ) -> KpiWindow | None:
        """The same, counting only the values stored by ``cutoff``; None when no value of either stretch was."""
        values, stored = self.values, self.stored
        baseline = [values[i] for i in range(low, middle) if stored[i] <= cutoff]
        recent = [values[i] for i in range(middle, high) if stored[i] <= cutoff]
        if not baseline and not recent:
            return None
        aggregate = _AGGREGATES.get(aggregation, sum)
        return KpiWindow(
            key[0],
            key[1],
            key[2],
            aggregate(recent) if recent else None,  # SQL: no rows, no value
            aggregate(baseline) if baseline else None,
            len(recent),
            len(baseline),
        )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _last(values: list[float]) -> float:
    return values[-1]


# A stretch's value as the grouped query computes it: SQL SUM and AVG, or the last value by date.
_AGGREGATES = {Aggregation.SUM: sum, Aggregation.MEAN: _mean, Aggregation.LAST: _last}


def kpi_last_dates(
    *, on_date: dt.date, lookback_days: int, client_ids: Sequence[int] | None = None
) -> dict[int, dict[str, dt.date]]:
    """client -> active metric key -> the date of its last value on or before ``on_date`` (within ``lookback_days``).

    One statement: per (client, active metric) an index lookup on the (client, metric, date) key for the newest
    date, so the cost follows clients x metrics, not the rows of the window.
    """
    if client_ids is not None and not client_ids:
        return {}
    values = MetricValue._meta.db_table
    params: list = [on_date, on_date - dt.timedelta(days=lookback_days)]
    client_sql = ""
    if client_ids is not None:
        client_sql = f" AND c.id IN ({', '.join(['%s'] * len(client_ids))})"
        params += list(client_ids)
    sql = f"""
        SELECT client_id, key, last FROM (
            SELECT c.id AS client_id, m.key AS key,
                   (SELECT MAX(v.date) FROM {values} v
                     WHERE v.client_id = c.id AND v.metric_id = m.id AND v.date <= %s AND v.date > %s) AS last
            FROM {Client._meta.db_table} c CROSS JOIN {Metric._meta.db_table} m
            WHERE m.is_active{client_sql}
        ) latest WHERE last IS NOT NULL
    """
    found: dict[int, dict[str, dt.date]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for client_id, key, last in cursor.fetchall():
            found[client_id][key] = last if isinstance(last, dt.date) else dt.date.fromisoformat(str(last)[:10])
    return dict(found)


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
