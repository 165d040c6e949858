"""Reads for the flag list, rules page, evaluation history and notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from clients.models import Client
from flags.likelihood import LikelihoodInputs
from flags.models import (
    LIVE_FLAG_STATUSES,
    EvaluationRun,
    Flag,
    FlagStatus,
    Resolution,
    RunStatus,
    Severity,
    TriggerRule,
)
from flags.permissions import flag_visibility_q, rule_visibility_q
from health.models import HealthScore
from interactions.models import Interaction
from interactions.permissions import interaction_visibility_q
from users.models import User

FLAG_ORDERINGS = {
    "priority": ("-severity", "-client__arr", "opened_on", "pk"),
    "newest": ("-opened_on", "-severity", "pk"),
    "arr": ("-client__arr", "-severity", "pk"),
    "client": ("client__name", "pk"),
}


def flags_for_user(
    *, user: User, scope: str = "mine", status: str = "live", severity: int | None = None, ordering: str = "priority"
) -> QuerySet[Flag]:
    queryset = Flag.objects.filter(flag_visibility_q(user))
    if scope == "mine":
        queryset = queryset.filter(assigned_to=user)
    if status == "live":
        queryset = queryset.filter(status__in=LIVE_FLAG_STATUSES)
    elif status in FlagStatus.values:
        queryset = queryset.filter(status=status)
    if severity:
        queryset = queryset.filter(severity__gte=severity)
    return queryset.select_related("client", "rule", "assigned_to").order_by(
        *FLAG_ORDERINGS.get(ordering, FLAG_ORDERINGS["priority"])
    )


@dataclass(frozen=True)
class FlagResolution:
    """What a user may read of how a flag was closed."""

    note: str
    interaction: Interaction | None


def flag_resolution_for(*, user: User, flag: Flag) -> FlagResolution:
    """The note and the interaction that resolved the flag, only when that interaction is visible to the user
    (``interaction_visibility_q``: a private note is for its author and the team lead). Otherwise neither the
    interaction nor any text taken from it is shown, even a copy stored on the flag before private notes stayed off it.
    """
    if flag.interaction_id is None:
        return FlagResolution(note=flag.resolution_note, interaction=None)
    interaction = Interaction.objects.filter(interaction_visibility_q(user), pk=flag.interaction_id).first()
    if interaction is None:
        return FlagResolution(note="", interaction=None)
    return FlagResolution(note=flag.resolution_note or interaction.summary[:500], interaction=interaction)


def client_live_flags(*, client, user: User) -> QuerySet[Flag]:
    return (
        Flag.objects.filter(flag_visibility_q(user), client=client, status__in=LIVE_FLAG_STATUSES)
        .select_related("rule", "assigned_to")
        .order_by("-severity", "opened_on")
    )


def rules_for_user(*, user: User) -> QuerySet[TriggerRule]:
    """Rules with their track record: live flags, handled, dismissed as not useful."""
    return (
        TriggerRule.objects.filter(rule_visibility_q(user))
        .select_related("team", "scorecard")
        .annotate(
            live_flags=Count("flags", filter=Q(flags__status__in=LIVE_FLAG_STATUSES)),
            handled=Count("flags", filter=Q(flags__resolution=Resolution.HANDLED)),
            dismissed=Count("flags", filter=Q(flags__resolution=Resolution.DISMISSED)),
        )
        .order_by("team__name", "-severity", "name")
    )


def dismissals(*, rule: TriggerRule, limit: int = 20) -> QuerySet[Flag]:
    return (
        rule.flags.filter(resolution=Resolution.DISMISSED)
        .select_related("client", "resolved_by")
        .order_by("-closed_on", "-pk")[:limit]
    )


def evaluation_runs() -> QuerySet[EvaluationRun]:
    return EvaluationRun.objects.order_by("-date")


@dataclass(frozen=True)
class RunState:
    """What the evaluation history says about a run beyond its counters: late, and what the sweeper did."""

    late_minutes: int | None  # a running run without progress for EVALUATION_STALL_MINUTES or more
    redispatched_chunks: int
    redispatched_at: dt.datetime | None


def evaluation_overview(*, runs: list[EvaluationRun], now: dt.datetime) -> dict:
    """``rows``: (run, its RunState) in order; ``no_run_today``: today's scheduled time plus the allowance has passed
    and no run of today exists; ``scheduled_at``: that time."""
    from flags.evaluation import scheduled_at, stall_after

    rows = []
    for run in runs:
        late = None
        if run.status == RunStatus.RUNNING and run.progress_at is not None and now - run.progress_at >= stall_after():
            late = int((now - run.progress_at).total_seconds() // 60)
        rows.append((run, RunState(late, run.redispatched_chunks, run.redispatched_at)))
    today = timezone.localdate(now)
    due = scheduled_at(on_date=today)
    missing = now >= due + stall_after() and not EvaluationRun.objects.filter(date=today).exists()
    return {"rows": rows, "no_run_today": missing, "scheduled_at": due}


def backtest_job_for_user(*, user: User, pk: int):
    """The user's own back-test job (404 otherwise)."""
    from django.http import Http404

    from flags.models import BacktestJob

    job = BacktestJob.objects.filter(pk=pk, requested_by=user).select_related("rule").first()
    if job is None:
        raise Http404("No such back-test.")
    return job


# --- renewal likelihood inputs -------------------------------------------------------------------


def renewal_likelihood_inputs(*, renewals, on_date: dt.date) -> dict[int, LikelihoodInputs]:
    """The facts of each renewal's likelihood on ``on_date``, set-based: four queries whatever the count."""
    renewals = list(renewals)
    client_ids = {r.client_id for r in renewals}
    if not client_ids:
        return {}
    clients = {
        c["pk"]: c
        for c in Client.objects.filter(pk__in=client_ids).values("pk", "last_contact_at", "contact_cadence_days")
    }
    latest: dict[int, HealthScore] = {}
    earlier: dict[int, float] = {}
    month_ago = on_date - dt.timedelta(days=30)
    scores = HealthScore.objects.filter(
        client_id__in=client_ids, date__lte=on_date, date__gte=month_ago - dt.timedelta(days=7)
    ).only("client_id", "date", "score", "band")
    for score in scores.order_by("client_id", "date"):
        latest[score.client_id] = score  # the last one wins: the latest on or before the day
        if score.date <= month_ago:
            earlier[score.client_id] = score.score
    flag_counts = {
        row["client_id"]: row
        for row in Flag.objects.filter(client_id__in=client_ids, status=FlagStatus.OPEN)
        .values("client_id")
        .annotate(open=Count("pk"), severe=Count("pk", filter=Q(severity__gte=Severity.HIGH)))
    }
    result = {}
    for renewal in renewals:
        client = clients.get(renewal.client_id, {})
        score = latest.get(renewal.client_id)
        last = client.get("last_contact_at")
        flags = flag_counts.get(renewal.client_id, {})
        result[renewal.pk] = LikelihoodInputs(
            stage=renewal.stage,
            forecast_call=renewal.forecast_call,
            band=score.band if score else None,
            score_change_30d=(score.score - earlier[renewal.client_id])
            if score and renewal.client_id in earlier
            else None,
            open_flags=flags.get("open", 0),
            severe_flags=flags.get("severe", 0),
            days_since_contact=(on_date - timezone.localtime(last).date()).days if last else None,
            cadence_days=client.get("contact_cadence_days") or 30,
        )
    return result
