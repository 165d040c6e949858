"""Reads for review pages, panels and endpoints: scoped to the user, preloaded, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, F, FilteredRelation, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext

from clients.models import MANAGED_STATUSES, Client, Contact
from clients.permissions import client_can_edit
from core.dates import Quarter
from core.history import VersionsOverTime, versions_at
from flags.models import LIVE_FLAG_STATUSES, Flag
from health.models import HealthScore
from interactions.models import FollowUp, FollowUpStatus, Interaction
from kpis.models import Aggregation, Metric, MetricValue
from kpis.selectors import kpi_windows_over
from kpis.windows import WindowSpan
from reviews import snapshot as snap
from reviews.models import HELD_STATUSES, AccountPlan, AccountReview, ReviewActionItem, ReviewStatus
from reviews.permissions import review_visibility_q
from reviews.plan_items import (
    OBJECTIVE_STATUSES,
    PlanChange,
    plan_changes,
)
from reviews.quarters import Periods, periods
from users import permissions as rules
from users.models import Role, User

PLAN_FIELDS = ("hypothesis", "revenue_target", "currency", "objectives", "opportunities", "stakeholders", "risks")
# A plan not revisited for longer than a quarter and a bit is due for another look.
PLAN_STALE_DAYS = 100
SNAPSHOT_INTERACTIONS = 50
SNAPSHOT_COMMITMENTS = 100


# --- snapshot ------------------------------------------------------------------------------------


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _kpis(client: Client, window: Periods) -> tuple[list[dict], dict[str, list]]:
    """Every active KPI over the quarter and the same stretch of the previous one (kpis' one window)."""
    metrics = {m.key: m for m in Metric.objects.filter(is_active=True)}
    span = WindowSpan(
        recent_start=window.current_start,
        recent_end=window.current_end,
        baseline_start=window.previous_start,
        baseline_end=window.previous_end,
    )
    windows = kpi_windows_over(span=span, metrics=list(metrics.values()), client_ids=[client.pk]).get(client.pk, {})
    table = []
    for key, figures in windows.items():
        metric = metrics[key]
        table.append(
            snap.kpi_row(
                snap.KpiFigures(
                    key=metric.key,
                    name=metric.name,
                    unit=metric.unit,
                    higher_is_better=metric.higher_is_better,
                    aggregation=metric.aggregation,
                    current=figures.recent_value,
                    previous=figures.baseline_value,
                    current_days=figures.recent_count,
                    previous_days=figures.baseline_count,
                )
            )
        )
    table.sort(key=lambda item: item["name"].casefold())

    weeks: dict[str, list] = {}
    metrics_by_pk = {m.pk: m for m in metrics.values()}
    weekly = (
        MetricValue.objects.filter(client=client, date__gte=window.current_start, date__lte=window.current_end)
        .annotate(week=TruncWeek("date"))
        .values("metric_id", "week")
        .annotate(total=Sum("value"), mean=Avg("value"))
        .order_by("metric_id", "week")
    )
    for row in weekly:
        metric = metrics_by_pk.get(row["metric_id"])
        if metric is None:
            continue
        value = row["total"] if metric.aggregation == Aggregation.SUM else row["mean"]
        week = row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"]
        weeks.setdefault(metric.key, []).append([week.isoformat(), round(value, 2)])
    return table, weeks


def _score(score: HealthScore | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {
        "date": score.date.isoformat(),
        "score": round(score.score, 1),
        "band": score.band,
        "weakest": score.weakest,
        "coverage": round(score.coverage, 2),
        "model_version": score.model.version,
        "components": [
            {
                "label": c.get("label", ""),
                "weight": c.get("weight"),
                "sub_score": c.get("sub_score"),
                "contribution": c.get("contribution"),
                "missing": bool(c.get("missing")),
                "explanation": c.get("explanation", ""),
                # their phrases, so the snapshot reads in each reader's language (core.phrases)
                "said": c.get("said"),
                "label_said": c.get("label_said"),
            }
            for c in score.components or []
        ],
    }


def _health(client: Client, window: Periods) -> dict[str, Any]:
    scores = client.health_scores.select_related("model")
    in_quarter = scores.filter(date__gte=window.current_start, date__lte=window.current_end)
    start = scores.filter(date__lte=window.current_start).order_by("-date").first()
    start = start or in_quarter.order_by("date").first()
    end = in_quarter.order_by("-date").first()
    series = [
        [day.isoformat(), round(score, 1)] for day, score in in_quarter.order_by("date").values_list("date", "score")
    ]
    start_data, end_data = _score(start), _score(end)
    return {"start": start_data, "end": end_data, "change": snap.health_change(start_data, end_data), "series": series}


def _interactions(client: Client, window: Periods) -> dict[str, Any]:
    """Calls, e-mails, meetings and notes of the quarter. Private notes stay out: a snapshot is shared."""
    start = timezone.make_aware(dt.datetime.combine(window.current_start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(window.current_end + dt.timedelta(days=1), dt.time.min))
    live = Interaction.objects.filter(
        client=client, deleted_at__isnull=True, is_private=False, occurred_at__gte=start, occurred_at__lt=end
    )
    by_kind: dict[str, int] = {}
    by_sentiment: dict[str, int] = {}
    total = 0
    for row in live.values("kind", "sentiment").annotate(n=Count("id")).order_by():
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["n"]
        by_sentiment[row["sentiment"]] = by_sentiment.get(row["sentiment"], 0) + row["n"]
        total += row["n"]
    items = [
        {
            "date": timezone.localtime(item.occurred_at).date().isoformat(),
            "kind": item.kind,
            "kind_label": item.get_kind_display(),
            "sentiment": item.sentiment,
            "summary": item.summary[:300],
            "author": str(item.author),
            "contacts": [str(c) for c in item.contacts.all()],
        }
        for item in live.select_related("author")
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("id", "first_name", "last_name")))
        .order_by("-occurred_at", "-pk")[:SNAPSHOT_INTERACTIONS]
    ]
    return {
        "total": total,
        "by_kind": by_kind,
        "by_sentiment": by_sentiment,
        "items": items,
        "truncated": total > len(items),
    }


def _commitments(client: Client, window: Periods) -> dict[str, Any]:
    """Commitments due in the quarter or made in it, and older ones still open: kept, overdue or open."""
    start, end = window.current_start, window.quarter.end
    made = Q(created_at__date__gte=start, created_at__date__lte=window.current_end)
    due = Q(due_date__gte=start, due_date__lte=end) | Q(promised_date__gte=start, promised_date__lte=end)
    carried = Q(status=FollowUpStatus.OPEN, due_date__lt=start)
    queryset = (
        FollowUp.objects.filter(made | due | carried, client=client, is_commitment=True)
        .select_related("owner")
        .order_by("due_date", "pk")[:SNAPSHOT_COMMITMENTS]
    )
    items = []
    for followup in queryset:
        client_date = followup.promised_date or followup.due_date
        completed_on = timezone.localtime(followup.completed_at).date() if followup.completed_at else None
        outcome = snap.commitment_outcome(
            status=followup.status, client_date=client_date, completed_on=completed_on, as_of=window.as_of
        )
        items.append(
            {
                "id": followup.pk,
                "title": followup.title,
                "owner": str(followup.owner),
                "due_date": followup.due_date.isoformat(),
                "promised_date": _iso(followup.promised_date),
                "completed_on": _iso(completed_on),
                "outcome": outcome,
                "origin": followup.origin,
            }
        )
    return {"counts": snap.commitment_counts(items), "items": items}


def _open_flags(client: Client) -> list[dict[str, Any]]:
    """The client's open and snoozed flags as the snapshot keeps them (50 at most, the most severe first)."""
    flags = Flag.objects.filter(client=client, status__in=LIVE_FLAG_STATUSES)[:50]
    return [
        {
            "id": flag.pk,
            "title": flag.title,
            "severity": flag.get_severity_display(),
            "severity_level": flag.severity,  # shown as the reader's word for it
            "status": flag.status,
            "evidence": flag.evidence,
            "said": flag.data.get("said"),  # its phrase, so the snapshot reads in each reader's language
            "opened_on": _iso(flag.opened_on),
        }
        for flag in flags
    ]


def review_snapshot(*, client: Client, quarter: Quarter, today: dt.date, taken_by: User | None = None) -> dict:
    """The frozen picture a prepared review keeps: what the quarter looked like on ``today``."""
    window = periods(quarter, today=today)
    kpis, kpi_weeks = _kpis(client, window)
    before = quarter.previous()
    return {
        "format": snap.SNAPSHOT_FORMAT,
        "taken_at": timezone.now().isoformat(timespec="seconds"),
        "taken_by": str(taken_by) if taken_by else "",
        "period": {
            "quarter": quarter.key,
            "label": quarter.label,
            "start": window.current_start.isoformat(),
            "end": window.current_end.isoformat(),
            "as_of": window.as_of.isoformat(),
            "complete": window.complete,
            "days": window.current_days,
            "previous": {
                "label": before.label,
                "start": window.previous_start.isoformat(),
                "end": window.previous_end.isoformat(),
                "days": window.previous_days,
            },
        },
        "kpis": kpis,
        "kpi_weeks": kpi_weeks,
        "health": _health(client, window),
        "interactions": _interactions(client, window),
        "commitments": _commitments(client, window),
        "flags": _open_flags(client),
    }


# --- reviews -------------------------------------------------------------------------------------


def _action_items_prefetch() -> Prefetch:
    return Prefetch(
        "action_items",
        queryset=ReviewActionItem.objects.select_related("owner", "followup", "followup__owner").order_by(
            "position", "pk"
        ),
    )


def review_queryset_for_user(*, user: User) -> QuerySet[AccountReview]:
    return (
        AccountReview.objects.filter(review_visibility_q(user))
        .select_related("client", "client__owner", "client__team")
        .prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.only("id", "first_name", "last_name", "client_id")),
            Prefetch("colleagues", queryset=User.objects.only("id", "username", "first_name", "last_name")),
            _action_items_prefetch(),
        )
    )


def review_for_page(*, user: User, pk: int) -> AccountReview | None:
    return (
        review_queryset_for_user(user=user)
        .select_related("prepared_by", "closed_by", "created_by")
        .filter(pk=pk)
        .first()
    )


def review_chart_data(review: AccountReview) -> dict[str, Any]:
    """What the charts of the review and print pages draw; only frozen snapshot data."""
    data = review.snapshot or {}
    kpis = data.get("kpis", [])
    return {
        "health": data.get("health", {}).get("series", []),
        "changes": [
            {"name": k["name"], "change": k["change_pct"], "verdict": k["verdict"]}
            for k in kpis
            if k.get("change_pct") is not None
        ],
        "weeks": {
            k["key"]: {"name": k["name"], "unit": k["unit"], "points": data.get("kpi_weeks", {}).get(k["key"], [])}
            for k in kpis
        },
        # The series' names the charts show (in their tooltips), in the reader's language.
        "labels": {"health": gettext("Health"), "changes": gettext("Change %")},
    }


@dataclass(frozen=True)
class PrintView:
    """What the client-facing print page shows. Internal figures (the health score, overdue commitments) are left
    out unless asked for; satisfaction has one source: the client's answer in this review, else the satisfaction KPI
    of the frozen figures (and that KPI is then not repeated in the KPI table)."""

    include_health: bool
    include_overdue: bool
    satisfaction: float | None
    satisfaction_from_review: bool
    kpis: list[dict[str, Any]]
    commitments: dict[str, int]
    chart_data: dict[str, Any]


def review_print_view(review: AccountReview, *, include_health: bool, include_overdue: bool) -> PrintView:
    from reviews.services import SATISFACTION_KEY

    data = review.snapshot or {}
    kpis = data.get("kpis", [])
    survey = next((k for k in kpis if k.get("key") == SATISFACTION_KEY), None)
    satisfaction = review.satisfaction if review.satisfaction is not None else (survey or {}).get("current")
    chart_data = review_chart_data(review)
    if not include_health:
        chart_data = {**chart_data, "health": []}
    chart_data["changes"] = [c for c in chart_data["changes"] if not survey or c["name"] != survey["name"]]
    counts = dict((data.get("commitments") or {}).get("counts") or {})
    if not include_overdue:
        counts.pop("overdue", None)
    return PrintView(
        include_health=include_health,
        include_overdue=include_overdue,
        satisfaction=satisfaction,
        satisfaction_from_review=review.satisfaction is not None,
        kpis=[k for k in kpis if k.get("key") != SATISFACTION_KEY],
        commitments=counts,
        chart_data=chart_data,
    )


@dataclass
class QuarterOverview:
    quarter: Quarter
    clients: QuerySet[Client]
    counts: dict[str, int] = field(default_factory=dict)


OVERVIEW_STATUSES = [*ReviewStatus.values, "missing"]


def quarter_overview(
    *,
    user: User,
    quarter: Quarter,
    owner: User | None = None,
    status: str = "",
    key_accounts_only: bool = False,
) -> QuarterOverview:
    """The user's managed clients (an AM: their own; a lead: the team) with their review of ``quarter``.

    One row per client, its review (if any) joined in, key accounts first; ``counts`` per status
    come from one grouped query over the same clients.
    """
    clients = Client.objects.filter(rules.portfolio_q(user), archived_at__isnull=True, status__in=MANAGED_STATUSES)
    if user.role == Role.ACCOUNT_MANAGER:
        clients = clients.filter(owner=user)
    elif owner is not None:
        clients = clients.filter(owner=owner)
    if key_accounts_only:
        clients = clients.filter(is_key_account=True)
    clients = clients.annotate(
        quarter_review=FilteredRelation(
            "reviews", condition=Q(reviews__year=quarter.year, reviews__quarter=quarter.quarter)
        )
    ).annotate(
        review_id=F("quarter_review__id"),
        review_status=F("quarter_review__status"),
        review_planned_on=F("quarter_review__planned_on"),
        review_held_on=F("quarter_review__held_on"),
        review_satisfaction=F("quarter_review__satisfaction"),
    )
    counts = dict.fromkeys(OVERVIEW_STATUSES, 0)
    for row in clients.values("review_status").annotate(n=Count("id")).order_by():
        counts[row["review_status"] or "missing"] += row["n"]
    counts["total"] = sum(counts[s] for s in OVERVIEW_STATUSES)
    if status == "missing":
        clients = clients.filter(quarter_review__id__isnull=True)
    elif status in ReviewStatus.values:
        clients = clients.filter(quarter_review__status=status)
    clients = clients.select_related("owner", "team").order_by("-is_key_account", "name", "pk")
    return QuarterOverview(quarter=quarter, clients=clients, counts=counts)


def previous_held_review(*, client: Client, before: AccountReview | None = None) -> AccountReview | None:
    """The latest held or closed review of the client (before ``before``'s quarter, when given)."""
    queryset = AccountReview.objects.filter(client=client, status__in=HELD_STATUSES)
    if before is not None:
        queryset = queryset.filter(Q(year__lt=before.year) | Q(year=before.year, quarter__lt=before.quarter))
    return queryset.order_by("-year", "-quarter").first()


# --- account plans -------------------------------------------------------------------------------


def plan_for_client(*, client: Client) -> AccountPlan | None:
    return AccountPlan.objects.filter(client=client).first()


def plan_state(record: Any) -> dict[str, Any]:
    """The comparable fields of a plan or of one of its history rows."""
    return {name: getattr(record, name) for name in PLAN_FIELDS}


def plan_objective_counts(plan: AccountPlan | None) -> list[tuple[str, int]]:
    if plan is None:
        return []
    counts: dict[str, int] = {}
    for item in plan.objectives or []:
        counts[item.get("status", "")] = counts.get(item.get("status", ""), 0) + 1
    return [(label, counts[key]) for key, label in OBJECTIVE_STATUSES.items() if counts.get(key)]


def plan_is_stale(plan: AccountPlan | None, *, today: dt.date) -> bool:
    """A plan not revisited for more than a quarter (and a bit) is due for another look."""
    if plan is None:
        return False
    return plan.last_revisited_on is None or (today - plan.last_revisited_on).days > PLAN_STALE_DAYS


@dataclass
class PlanComparison:
    baseline: AccountReview | None  # the review the plan is compared with; None: no review held yet
    changes: list[PlanChange]
    baseline_had_plan: bool


def plan_changes_since_review(
    *, client: Client, plan: AccountPlan | None, review: AccountReview | None = None
) -> PlanComparison:
    """What changed in the plan since the last held review (or, for ``review``, since the one before it).

    For a held review, its own plan version is compared, so the page keeps showing what changed
    up to that meeting even after later edits.
    """
    baseline = previous_held_review(client=client, before=review)
    if baseline is None:
        return PlanComparison(None, [], False)
    history = AccountPlan.history.model
    ids = [baseline.plan_history_id]
    use_own = review is not None and review.is_held and review.plan_history_id
    if use_own:
        ids.append(review.plan_history_id)
    records = {r.history_id: r for r in history.objects.filter(history_id__in=[i for i in ids if i])}
    before = records.get(baseline.plan_history_id)
    if use_own:
        after_record = records.get(review.plan_history_id)
        after = plan_state(after_record) if after_record else None
    else:
        after = plan_state(plan) if plan else None
    if after is None:
        return PlanComparison(baseline, [], before is not None)
    return PlanComparison(baseline, plan_changes(plan_state(before) if before else None, after), before is not None)


@dataclass
class PlanHistoryPage:
    rows: list[tuple[Any, list[PlanChange], str]]  # (history row, changes against the row before, review label)
    number: int
    num_pages: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def plan_history(*, plan: AccountPlan, page: int = 1, size: int = 20) -> PlanHistoryPage:
    """Each saved version with what it changed; the reviews that discussed a version are named."""
    queryset = plan.history.select_related("history_user").order_by("-history_date", "-history_id")
    total = queryset.count()
    num_pages = max(1, -(-total // size))
    page = min(max(1, page), num_pages)
    start = (page - 1) * size
    records = list(queryset[start : start + size + 1])  # one more: the oldest shown is diffed against it
    reviews = {
        r.plan_history_id: r.label
        for r in AccountReview.objects.filter(
            client_id=plan.client_id, plan_history_id__in=[r.history_id for r in records]
        )
    }
    rows = []
    for index, record in enumerate(records[:size]):
        older = records[index + 1] if index + 1 < len(records) else None
        rows.append(
            (
                record,
                plan_changes(plan_state(older) if older else None, plan_state(record)),
                reviews.get(record.history_id, ""),
            )
        )
    return PlanHistoryPage(rows=rows, number=page, num_pages=num_pages, total=total)


# --- the client page -----------------------------------------------------------------------------


def account_panel(*, client, user) -> dict[str, Any]:
    """What the client page shows about reviews and the account plan: two queries."""
    today = timezone.localdate()
    current = Quarter.containing(today)
    reviews = list(
        client.reviews.annotate(
            unassigned_items=Count("action_items", filter=Q(action_items__followup__isnull=True)),
            item_count=Count("action_items"),
        ).order_by("-year", "-quarter")[:4]
    )
    plan = plan_for_client(client=client)
    current_review = next((r for r in reviews if (r.year, r.quarter) == (current.year, current.quarter)), None)
    return {
        "client": client,
        "quarter": current,
        "current_review": current_review,
        "reviews": reviews,
        "plan": plan,
        "objective_counts": plan_objective_counts(plan),
        "plan_stale": plan_is_stale(plan, today=today),
        "can_edit": client_can_edit(user=user, client=client),
        "today": today,
    }


def last_reviews_as_of(
    *, client_ids: Sequence[int], day: dt.date, moment: dt.datetime, cache: dict | None = None
) -> dict[int, dt.date]:
    """Each client's last review held on or before ``day``, as recorded at ``moment`` (the reviews' audit history;
    a review with no version that old reads as it is now). For flags.facts.facts_as_of; ``cache`` (a replay of
    many days) keeps the history of all its clients (``cache["client_ids"]``) read once."""
    fields = ["client_id", "status", "held_on"]
    if cache is not None:
        key = last_reviews_as_of.__qualname__
        if key not in cache:
            everyone = list(cache.get("client_ids", client_ids))
            cache[key] = VersionsOverTime(
                AccountReview.history.filter(client_id__in=everyone),
                fields=fields,
                current=AccountReview.objects.filter(client_id__in=everyone),
            )
        wanted = set(client_ids)
        found = {pk: row for pk, row in cache[key].at(moment).items() if row["client_id"] in wanted}
    else:
        found = versions_at(AccountReview.history.filter(client_id__in=list(client_ids)), moment=moment, fields=fields)
        current = AccountReview.objects.filter(client_id__in=list(client_ids)).exclude(pk__in=list(found))
        for row in current.values("pk", *fields):
            found[row["pk"]] = row
    latest: dict[int, dt.date] = {}
    for row in found.values():
        held = row["held_on"]
        if row["status"] in HELD_STATUSES and held is not None and held <= day:
            latest[row["client_id"]] = max(held, latest.get(row["client_id"], held))
    return latest
