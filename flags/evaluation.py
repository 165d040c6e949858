"""The daily evaluation: score a chunk of clients, test every active rule, open and close flags.

Safe to repeat: re-running a day, or a chunk redelivered after a worker died, leaves
exactly the same flags. A chunk's flags, counters and its own 'done' mark are written
in one transaction; the partial unique constraint on flags backs this up.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from clients import selectors as client_selectors
from clients.models import MANAGED_STATUSES, Client, ClientStatus
from core import events, faults
from core.tasks import is_transient
from flags import facts as rule_selectors
from flags import notices, rules
from flags import services as flag_services
from flags.models import (
    LIVE_FLAG_STATUSES,
    EvaluationChunk,
    EvaluationRun,
    Flag,
    FlagStatus,
    PushState,
    Resolution,
    RunStatus,
    TriggerRule,
)
from health import services
from kpis import selectors as kpi_selectors
from kpis.windows import MetricMeta
from notifications.webhooks import WebhookEvent

logger = logging.getLogger(__name__)
STALE_RUN = dt.timedelta(hours=2)
SCORED_STATUSES = (*MANAGED_STATUSES, ClientStatus.CHURNED)

# Published by chunk_process in the chunk's transaction with the ids of the flags it opened (playbooks start
# from it): flag_ids, on_date, evaluation_run_id.
FLAGS_OPENED = "flags.flags_opened"


@dataclass(frozen=True)
class RuleSpec:
    id: int | None
    name: str
    kind: str
    params: dict[str, Any]
    severity: int
    segment: str
    team_id: int | None
    cooldown_days: int
    auto_close: bool


def rule_spec(rule: TriggerRule, metrics: dict[str, MetricMeta]) -> RuleSpec:
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        kind=rule.kind,
        params=rules.validate(rule.kind, rule.params, metrics),
        severity=rule.severity,
        segment=rule.segment,
        team_id=rule.team_id,
        cooldown_days=rule.cooldown_days,
        auto_close=rule.auto_close,
    )


def active_rules(metrics: dict[str, MetricMeta]) -> tuple[list[RuleSpec], list[str]]:
    specs, errors = [], []
    for rule in TriggerRule.objects.filter(is_active=True).order_by("pk"):
        try:
            specs.append(rule_spec(rule, metrics))
        except rules.RuleError as exc:
            errors.append(f"Rule {rule.name!r} skipped: {exc}")
    return specs, errors


class FlagStep(StrEnum):
    """What one day does to the flag of one (client, rule)."""

    OPEN = "open"  # matches, none live, not cooling down: open a flag
    KEEP = "keep"  # a live flag stays live (refreshed when it still matches)
    CLOSE = "close"  # the condition no longer holds and the rule auto-closes
    SKIP = "skip"  # nothing: no match and nothing live, or cooling down after the last flag closed


def flag_step(
    *,
    on_date: dt.date,
    matched: bool,
    live_opened_on: dt.date | None,
    last_closed_on: dt.date | None,
    cooldown_days: int,
    auto_close: bool,
) -> FlagStep:
    """The daily run's decision, pure, so the morning run and the back-test cannot drift apart.

    ``live_opened_on`` is the opening day of the live flag (None when there is none); ``last_closed_on`` the
    day the last flag of this client and rule closed. A flag opened after ``on_date`` (a day replayed by hand)
    is left alone.
    """
    if live_opened_on is not None:
        if not matched and auto_close and live_opened_on <= on_date:
            return FlagStep.CLOSE
        return FlagStep.KEEP
    if not matched:
        return FlagStep.SKIP
    if last_closed_on is not None and on_date < last_closed_on + dt.timedelta(days=cooldown_days):
        return FlagStep.SKIP
    return FlagStep.OPEN


def facts_for(
    *,
    client_ids: Sequence[int],
    on_date: dt.date,
    specs: Sequence[RuleSpec],
    known_at: dt.datetime | None = None,
    replay: bool = False,
    cache: rule_selectors.FactsCache | None = None,
) -> list[rule_selectors.ClientFacts]:
    """What these rules read about the clients live on ``on_date`` (flags.facts.facts_as_of); ``cache``: a replay's
    facts read once for all its days."""
    return rule_selectors.facts_as_of(
        client_ids=client_ids, day=on_date, known_at=known_at, replay=replay, cache=cache, **facts_needed(specs)
    )


def facts_needed(specs: Sequence[RuleSpec]) -> dict[str, Any]:
    """Which facts these rules read (facts_as_of's keyword arguments): what none of them reads is not read."""
    kinds = {s.kind for s in specs}
    return {
        "windows": set().union(*(rules.windows_needed(s.kind, s.params) for s in specs)),
        "lookbacks": set().union(*(rules.health_lookbacks(s.kind, s.params) for s in specs)),
        "freshness": any(rules.needs_freshness(k) for k in kinds),
        "health_scores": any(rules.needs_health_scores(k) for k in kinds),
        "billing": any(rules.needs_billing(k) for k in kinds),
        "last_contact": any(rules.needs_contacts(k) for k in kinds),
        "commitments": any(rules.needs_commitments(k) for k in kinds),
        "stakeholders": any(rules.needs_stakeholders(k) for k in kinds),
        "reviews": any(rules.needs_reviews(k) for k in kinds),
        "survey_answers": any(rules.needs_survey_answers(k) for k in kinds),
    }


def match_facts(
    *, facts: Sequence[rule_selectors.ClientFacts], specs: Sequence[RuleSpec], metrics: dict[str, MetricMeta]
) -> dict[tuple[int, int | None], rules.Match]:
    """The pure part: which (client, rule) hold on these facts."""
    matches: dict[tuple[int, int | None], rules.Match] = {}
    for item in (fact.inputs for fact in facts):
        for spec in specs:
            if not rules.applies_to(rule_team_id=spec.team_id, rule_segment=spec.segment, inputs=item):
                continue
            match = rules.evaluate(spec.kind, spec.params, item, metrics)
            if match is not None:
                matches[(item.client_id, spec.id)] = match
    return matches


def find_matches(
    *,
    client_ids: Sequence[int],
    on_date: dt.date,
    specs: Sequence[RuleSpec],
    metrics: dict[str, MetricMeta],
    known_at: dt.datetime | None = None,
) -> dict[tuple[int, int | None], rules.Match]:
    """The rules that hold for the clients live on ``on_date``, on the facts as of that day (``known_at``: as
    recorded at that moment; the morning run passes its start time)."""
    facts = facts_for(client_ids=client_ids, on_date=on_date, specs=specs, known_at=known_at)
    return match_facts(facts=facts, specs=specs, metrics=metrics)


@dataclass
class ReconcileResult:
    opened: list[Flag]
    reopened: list[Flag]
    closed: int
    closed_flags: list[Flag] = field(default_factory=list)


def reconcile_flags(
    *,
    client_ids: Sequence[int],
    on_date: dt.date,
    specs: Sequence[RuleSpec],
    matches: dict[tuple[int, int | None], rules.Match],
) -> ReconcileResult:
    """Open what matches and is not open or cooling down; close what no longer holds. Caller holds a transaction."""
    by_id = {s.id: s for s in specs}
    live = {
        (f.client_id, f.rule_id): f
        for f in Flag.objects.select_for_update().filter(
            client_id__in=client_ids, rule_id__in=list(by_id), status__in=LIVE_FLAG_STATUSES
        )
    }
    longest = max((s.cooldown_days for s in specs), default=0)
    recently_closed = {
        (row["client_id"], row["rule_id"]): row["last"]
        for row in Flag.objects.filter(
            client_id__in=client_ids,
            rule_id__in=list(by_id),
            closed_on__isnull=False,
            closed_on__gte=on_date - dt.timedelta(days=longest),
        )
        .values("client_id", "rule_id")
        .annotate(last=Max("closed_on"))
        .order_by()
    }
    owners = dict(Client.objects.filter(pk__in=client_ids).values_list("pk", "owner_id"))
    to_create, to_update, reopened = [], [], []
    for (client_id, rule_id), match in matches.items():
        spec = by_id[rule_id]
        flag = live.get((client_id, rule_id))
        step = flag_step(
            on_date=on_date,
            matched=True,
            live_opened_on=flag.opened_on if flag is not None else None,
            last_closed_on=recently_closed.get((client_id, rule_id)),
            cooldown_days=spec.cooldown_days,
            auto_close=spec.auto_close,
        )
        if step == FlagStep.KEEP:
            flag.evidence, flag.measure, flag.data, flag.last_seen_on = (
                match.evidence,
                match.measure,
                match.stored_data,
                on_date,
            )
            if flag.status == FlagStatus.SNOOZED and (
                (flag.snoozed_until is not None and flag.snoozed_until <= on_date)
                or (flag.snooze_until_worse and flag.snooze_measure is not None and match.measure > flag.snooze_measure)
            ):
                flag.status = FlagStatus.OPEN
                flag.snoozed_until, flag.snooze_until_worse, flag.snooze_measure = None, False, None
                reopened.append(flag)
            to_update.append(flag)
            continue
        if step == FlagStep.SKIP:
            continue  # cooling down after the last flag closed
        to_create.append(
            Flag(
                client_id=client_id,
                rule_id=rule_id,
                title=spec.name,
                severity=spec.severity,
                assigned_to_id=owners.get(client_id),
                evidence=match.evidence,
                measure=match.measure,
                data=match.stored_data,
                opened_on=on_date,
                last_seen_on=on_date,
                push_state=PushState.PENDING,  # pushed or held back by the weekly cap when the run ends
            )
        )
    closed_count = 0
    closed_flags: list[Flag] = []
    for key, flag in live.items():
        spec = by_id[flag.rule_id]
        step = flag_step(
            on_date=on_date,
            matched=key in matches,
            live_opened_on=flag.opened_on,
            last_closed_on=None,
            cooldown_days=spec.cooldown_days,
            auto_close=spec.auto_close,
        )
        if step != FlagStep.CLOSE:
            continue
        flag.status = FlagStatus.RESOLVED
        flag.resolution = Resolution.CLEARED
        flag.closed_on = on_date
        flag.resolution_note = f"The condition no longer held on {on_date:%Y-%m-%d}."
        to_update.append(flag)
        closed_flags.append(flag)
        closed_count += 1
    fields = [
        "evidence", "measure", "data", "last_seen_on", "status", "snoozed_until", "snooze_until_worse",
        "snooze_measure", "resolution", "closed_on", "resolution_note", "updated_at",
    ]  # fmt: skip
    now = timezone.now()
    for flag in to_update:
        flag.updated_at = now
    Flag.objects.bulk_update(to_update, fields, batch_size=500)
    created = Flag.objects.bulk_create(to_create, batch_size=500)
    return ReconcileResult(opened=created, reopened=reopened, closed=closed_count, closed_flags=closed_flags)


def notify_opened(flags: Sequence[Flag]) -> None:
    """Tell each AM about the new flags pushed to them (the weekly cap decides which); their webhook events went
    out when the flags opened."""
    notices.flags_opened_tell(flags, emit=False)


# --- runs --------------------------------------------------------------------------------------


def run_start(*, on_date: dt.date) -> tuple[EvaluationRun, list[EvaluationChunk]] | None:
    """Claim the day's run and cut it into chunks; None if another run of that day is in progress."""
    now = timezone.now()
    services.health_model_ensure_default()  # once, here, rather than in every chunk at the same time
    with transaction.atomic():
        run, created = EvaluationRun.objects.select_for_update().get_or_create(
            date=on_date, defaults={"started_at": now, "status": RunStatus.RUNNING}
        )
        if not created:
            if run.status == RunStatus.RUNNING and run.started_at > now - STALE_RUN:
                return None
            run.attempt += 1
            run.status = RunStatus.RUNNING
            run.started_at, run.finished_at = now, None
            run.redispatched_at, run.redispatched_chunks = None, 0
            run.chunks_done = run.flags_opened = run.flags_closed = 0
            run.errors = []
        # Live on that day by the dated lifecycle (not before onboarding, not after churn), as known now.
        live = client_selectors.live_client_ids(on_date=on_date, known_at=now)
        ids = sorted(set(Client.objects.filter(archived_at__isnull=True).values_list("pk", flat=True)) & live)
        size = settings.HEALTH_CHUNK_SIZE
        slices = [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]
        run.clients = len(ids)
        run.chunks_total = len(slices)
        run.progress_at = now
        run.save()
        chunks = EvaluationChunk.objects.bulk_create(
            [EvaluationChunk(run=run, attempt=run.attempt, index=i, client_ids=s) for i, s in enumerate(slices)]
        )
    return run, chunks


def chunk_process(*, chunk_id: int) -> bool:
    """Score and evaluate one chunk. Returns False when it was already done (a redelivery)."""
    with transaction.atomic():
        # of=self: lock this chunk only, not the run row it joins, or the chunks of a run would serialize.
        chunk = EvaluationChunk.objects.select_for_update(of=("self",)).select_related("run").get(pk=chunk_id)
        run = chunk.run
        if chunk.done_at is not None or chunk.attempt != run.attempt:
            return False
        errors: list[str] = []
        opened = closed = 0
        try:
            with transaction.atomic():
                if chunk.client_ids:
                    # The chunk holds the clients live on that day by the lifecycle: one that churned since (a
                    # day run again later) is scored as it stood, so the health rules can warn about it.
                    services.health_scores_compute(
                        on_date=run.date, client_ids=chunk.client_ids, statuses=SCORED_STATUSES
                    )
                metrics = kpi_selectors.metric_metadata()
                specs, errors = active_rules(metrics)
                # Facts as recorded when the run started: a redelivered chunk, or a replay of this day, reads the same.
                matches = find_matches(
                    client_ids=chunk.client_ids, on_date=run.date, specs=specs, metrics=metrics, known_at=run.started_at
                )
                result = reconcile_flags(client_ids=chunk.client_ids, on_date=run.date, specs=specs, matches=matches)
                flag_services.renewal_likelihoods_refresh(on_date=run.date, client_ids=chunk.client_ids)
                # New flags wait for the weekly cap at the end of the run (flags_weekly_cap_apply) before anyone
                # is told; integrations hear of them now. A snoozed flag that comes back was pushed before.
                notices.flags_emit(result.opened, event=WebhookEvent.FLAG_OPENED)
                events.publish(
                    FLAGS_OPENED, flag_ids=[f.pk for f in result.opened], on_date=run.date, evaluation_run_id=run.pk
                )
                notices.flags_opened_tell(result.reopened, reopened=True)
                notices.flags_emit(result.closed_flags, event=WebhookEvent.FLAG_RESOLVED)
                opened, closed = len(result.opened), result.closed
                faults.maybe_crash("evaluation_chunk")
                faults.maybe_drop_database_connection("evaluation_chunk", transaction.get_connection())
        except Exception as exc:
            if is_transient(exc):
                # A dropped connection or an unreachable broker: not this chunk's fault. Roll back (the chunk
                # stays undone) and let the task policy retry it; it is not recorded as a failed day.
                raise
            # A real failure: one bad chunk must not stop the day; the run records it and ends as failed.
            logger.exception("Evaluation chunk %s failed", chunk_id)
            errors = [f"Chunk {chunk.index}: {exc.__class__.__name__}: {exc}"]
            opened = closed = 0
        chunk.done_at = timezone.now()
        chunk.save(update_fields=["done_at"])
        EvaluationRun.objects.filter(pk=run.pk).update(
            progress_at=timezone.now(),
            chunks_done=F("chunks_done") + 1,
            flags_opened=F("flags_opened") + opened,
            flags_closed=F("flags_closed") + closed,
        )
        run = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if errors:
            run.errors = [*run.errors, *errors][:200]
        if run.chunks_done >= run.chunks_total:
            run.status = RunStatus.FAILED if any(e.startswith("Chunk") for e in run.errors) else RunStatus.DONE
            run.finished_at = timezone.now()
            _apply_weekly_cap(run)
        run.save(update_fields=["errors", "status", "finished_at"])
    return True


def _apply_weekly_cap(run: EvaluationRun) -> None:
    """The day's new flags go to their AMs under the weekly cap. Should the cap itself fail, every waiting flag is
    pushed rather than left unseen, and the run records why."""
    try:
        with transaction.atomic():
            flag_services.flags_weekly_cap_apply(on_date=run.date)
    except Exception as exc:
        if is_transient(exc):
            raise
        logger.exception("Weekly cap of %s failed; pushing every waiting flag", run.date)
        waiting = list(Flag.objects.filter(status=FlagStatus.OPEN, push_state=PushState.PENDING))
        Flag.objects.filter(pk__in=[f.pk for f in waiting]).update(push_state=PushState.PUSHED, pushed_on=run.date)
        notify_opened(waiting)
        run.errors = [*run.errors, f"Weekly cap: {exc.__class__.__name__}: {exc}"][:200]


def evaluate_day_inline(*, on_date: dt.date) -> EvaluationRun | None:
    """The whole day in this process (management command, demo data, tests)."""
    started = run_start(on_date=on_date)
    if started is None:
        return None
    run, chunks = started
    for chunk in chunks:
        _chunk_process_retrying(chunk_id=chunk.pk)
    run.refresh_from_db()
    return run


def _chunk_process_retrying(*, chunk_id: int, attempts: int = 3) -> bool:
    """In-process runs have no task policy: retry a chunk a few times after a transient error, on a new connection."""
    for attempt in range(1, attempts + 1):
        try:
            return chunk_process(chunk_id=chunk_id)
        except Exception as exc:
            if not is_transient(exc) or attempt == attempts or transaction.get_connection().in_atomic_block:
                raise
            logger.warning("Evaluation chunk %s: transient error (%s), retrying", chunk_id, exc)
            transaction.get_connection().close()
    return False


# --- the sweeper -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    chunk_ids: list[int]  # chunks to dispatch again (their task was lost)
    start_day: dt.date | None  # the day's run to start (its beat task was lost)


def stall_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.EVALUATION_STALL_MINUTES)


def scheduled_at(*, on_date: dt.date) -> dt.datetime:
    """When the morning run of ``on_date`` is due (EVALUATION_TIME, local time)."""
    hour, minute = (int(part) for part in settings.EVALUATION_TIME.split(":"))
    return timezone.make_aware(dt.datetime.combine(on_date, dt.time(hour, minute)))


def runs_sweep(*, now: dt.datetime) -> SweepResult:
    """Runs whose chunks were lost (no progress for EVALUATION_STALL_MINUTES): their undone chunks, to dispatch
    again, and the run marked re-dispatched (at most once per stall period). Duplicates are harmless: a chunk
    is marked done in the transaction that writes its flags, and a done chunk is skipped.

    Also the day's run when it has not started EVALUATION_STALL_MINUTES after its scheduled time.
    """
    stalled = now - stall_after()
    chunk_ids: list[int] = []
    with transaction.atomic():
        runs = EvaluationRun.objects.select_for_update(skip_locked=True).filter(
            status=RunStatus.RUNNING, progress_at__lt=stalled
        )
        for run in runs:
            if run.redispatched_at is not None and run.redispatched_at >= stalled:
                continue  # sent again recently: give the workers time
            undone = run.chunks.filter(attempt=run.attempt, done_at__isnull=True).order_by("index")
            lost = list(undone.values_list("pk", flat=True))
            if not lost:
                continue
            logger.warning("Evaluation of %s: no progress since %s; re-dispatching %d chunk(s)", run.date,
                           run.progress_at, len(lost))  # fmt: skip
            run.redispatched_at = now
            run.redispatched_chunks = len(lost)
            run.save(update_fields=["redispatched_at", "redispatched_chunks"])
            chunk_ids += lost
    today = timezone.localdate(now)
    start_day = None
    if now >= scheduled_at(on_date=today) + stall_after() and not EvaluationRun.objects.filter(date=today).exists():
        start_day = today
    return SweepResult(chunk_ids=chunk_ids, start_day=start_day)
