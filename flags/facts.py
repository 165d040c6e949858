"""Set-based inputs for trigger rules: one grouped query per kind of fact, for a whole chunk of clients."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Avg, Count, Max, Q, Sum
from django.utils import timezone

from clients.models import Client, Contact
from core.dates import Quarter
from flags import rules
from health.models import HealthScore
from interactions.models import CONTACT_KINDS, FollowUp, FollowUpStatus, Interaction
from kpis.models import Metric, MetricValue
from kpis.selectors import last_values

MAX_LEFT_DAYS = 365


def metric_infos() -> dict[str, rules.MetricInfo]:
    return {
        m.key: rules.MetricInfo(m.key, m.name, m.unit, m.higher_is_better, m.aggregation)
        for m in Metric.objects.filter(is_active=True)
    }


def _windows(
    *, client_ids: Sequence[int], on_date: dt.date, needed: set[tuple[str, int, int]]
) -> dict[int, dict[tuple[str, int, int], rules.Window]]:
    metrics = {m.key: m for m in Metric.objects.filter(key__in={key for key, _, _ in needed})}
    by_span: dict[tuple[int, int], list[Metric]] = defaultdict(list)
    for key, recent, baseline in needed:
        if key in metrics:
            by_span[(recent, baseline)].append(metrics[key])
    result: dict[int, dict[tuple[str, int, int], rules.Window]] = defaultdict(dict)
    for (recent, baseline), span_metrics in by_span.items():
        split = on_date - dt.timedelta(days=recent)
        start = split - dt.timedelta(days=baseline)
        is_recent = Q(date__gt=split)
        rows = (
            MetricValue.objects.filter(
                client_id__in=client_ids, metric__in=span_metrics, date__gt=start, date__lte=on_date
            )
            .values("client_id", "metric_id")
            .annotate(
                recent_total=Sum("value", filter=is_recent),
                recent_days=Count("value", filter=is_recent),
                recent_mean=Avg("value", filter=is_recent),
                baseline_total=Sum("value", filter=~is_recent),
                baseline_days=Count("value", filter=~is_recent),
            )
            .order_by()
        )
        last = last_values(
            on_date=on_date,
            days=recent,
            metric_ids=[m.pk for m in span_metrics if m.aggregation == "last"],
            client_ids=client_ids,
        )
        key_of = {m.pk: m.key for m in span_metrics}
        for row in rows:
            result[row["client_id"]][(key_of[row["metric_id"]], recent, baseline)] = rules.Window(
                recent_total=row["recent_total"],
                recent_days=row["recent_days"],
                baseline_total=row["baseline_total"],
                baseline_days=row["baseline_days"],
                recent_mean=row["recent_mean"],
                recent_last=last.get((row["client_id"], row["metric_id"]), (None, None))[0],
            )
    return result


def rule_inputs(
    *,
    client_ids: Sequence[int],
    on_date: dt.date,
    windows: set[tuple[str, int, int]],
    lookbacks: set[int],
) -> list[rules.RuleInputs]:
    """Everything the rules read about these clients on ``on_date``, in a fixed number of queries."""
    ids = list(client_ids)
    clients = list(
        Client.objects.filter(pk__in=ids).values_list(
            "pk", "segment", "team_id", "contact_cadence_days", "renewal_date", "last_review_on"
        )
    )
    metric_windows = _windows(client_ids=ids, on_date=on_date, needed=windows) if windows else {}
    end_of_day = timezone.make_aware(dt.datetime.combine(on_date + dt.timedelta(days=1), dt.time.min))
    last_contact = dict(
        Interaction.objects.filter(
            client_id__in=ids, deleted_at__isnull=True, kind__in=CONTACT_KINDS, occurred_at__lt=end_of_day
        )
        .values("client_id")
        .annotate(latest=Max("occurred_at"))
        .values_list("client_id", "latest")
        .order_by()
    )
    wanted_dates = {on_date} | {on_date - dt.timedelta(days=d) for d in lookbacks}
    scores: dict[int, dict[dt.date, float]] = defaultdict(dict)
    for client_id, date, score in HealthScore.objects.filter(client_id__in=ids, date__in=wanted_dates).values_list(
        "client_id", "date", "score"
    ):
        scores[client_id][date] = score
    overdue: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for client_id, title, due in FollowUp.objects.filter(
        client_id__in=ids, status=FollowUpStatus.OPEN, is_commitment=True, due_date__lt=on_date
    ).values_list("client_id", "title", "due_date"):
        overdue[client_id].append((title, (on_date - due).days))
    left: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for client_id, first, last, role, left_on in Contact.objects.filter(
        client_id__in=ids,
        is_active=False,
        left_on__isnull=False,
        left_on__lte=on_date,
        left_on__gt=on_date - dt.timedelta(days=MAX_LEFT_DAYS),
    ).values_list("client_id", "first_name", "last_name", "role", "left_on"):
        left[client_id].append((f"{first} {last}".strip(), role, (on_date - left_on).days))
    quarter = Quarter.containing(on_date)
    result = []
    for pk, segment, team_id, cadence, renewal, last_review in clients:
        contact = last_contact.get(pk)
        client_scores = scores.get(pk, {})
        result.append(
            rules.RuleInputs(
                client_id=pk,
                segment=segment,
                team_id=team_id,
                windows=metric_windows.get(pk, {}),
                days_since_contact=(on_date - timezone.localtime(contact).date()).days if contact else None,
                cadence_days=cadence,
                score_today=client_scores.get(on_date),
                scores_before={
                    d: client_scores[on_date - dt.timedelta(days=d)]
                    for d in lookbacks
                    if on_date - dt.timedelta(days=d) in client_scores
                },
                overdue_commitments=tuple(overdue.get(pk, ())),
                days_to_renewal=(renewal - on_date).days if renewal else None,
                reviewed_this_quarter=bool(last_review and quarter.start <= last_review <= on_date),
                stakeholders_left=tuple(left.get(pk, ())),
            )
        )
    return result
