"""Writes of the health app: health models and daily scores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from clients.models import MANAGED_STATUSES, ClientStatus
from core.errors import ApplicationError, NotAllowedError
from health import calibration, scoring, selectors
from health.models import CalibrationJob, CalibrationStatus, HealthModel, HealthScore, RescoreDue, RescoreRequest
from kpis import selectors as kpi_selectors
from users import permissions as rules
from users.models import User


def _require_admin(user: User, action: str) -> None:
    if not rules.can_edit_health_model(user):
        raise NotAllowedError(f"Only admins {action}.")


# --- re-scoring after new facts ---------------------------------------------------------------


def health_scores_refresh_later(
    *, client_ids: set[int] | Sequence[int], on_date: dt.date, now: dt.datetime | None = None
) -> None:
    """Scores of these clients on ``on_date`` are recomputed shortly (HEALTH_RESCORE_DELAY_SECONDS) after the
    caller's transaction commits: debounced per client, so many batches in a row give one re-score.

    A client with a re-score already due joins it (no new task); only newly due clients, or ones whose task
    was lost (due long ago), queue one. Queuing is best effort (``robust``): a failure to queue (broker down)
    never undoes what the caller saved; the marker stays and the sweeper or the next batch queues it again.
    """
    from health import tasks

    ids = sorted(set(client_ids))
    if not ids:
        return
    now = now or timezone.now()
    delay = settings.HEALTH_RESCORE_DELAY_SECONDS
    due_at = now + dt.timedelta(seconds=delay)
    with transaction.atomic():
        # Locked until the caller commits: a re-score claiming these rows waits, then sees this batch's values.
        pending = dict(
            RescoreDue.objects.select_for_update()
            .filter(client_id__in=ids, date=on_date)
            .values_list("client_id", "due_at")
        )
        lost = [client_id for client_id, due in pending.items() if due < now - _rescore_lost_after()]
        new = [client_id for client_id in ids if client_id not in pending]
        _rescores_mark(new, on_date=on_date, due_at=due_at, now=now)
        if lost:
            RescoreDue.objects.filter(client_id__in=lost, date=on_date).update(due_at=due_at)
    if new or lost:
        day = on_date.isoformat()
        transaction.on_commit(
            lambda: tasks.score_clients_when_due.apply_async(args=[day], countdown=delay), robust=True
        )


def _rescores_mark(client_ids: list[int], *, on_date: dt.date, due_at: dt.datetime, now: dt.datetime) -> None:
    """Insert the markers (an existing one stays). On PostgreSQL one statement with the ids as an array: a KPI batch
    marks thousands of clients, and building that many model instances cost more than the insert itself."""
    if not client_ids:
        return
    if connection.vendor != "postgresql":
        RescoreDue.objects.bulk_create(
            [RescoreDue(client_id=client_id, date=on_date, due_at=due_at) for client_id in client_ids],
            ignore_conflicts=True,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RescoreDue._meta.db_table} (client_id, date, due_at, created_at)"
            " SELECT unnest(%s::bigint[]), %s, %s, %s ON CONFLICT (client_id, date) DO NOTHING",
            [client_ids, on_date, due_at, now],
        )


def _rescore_lost_after() -> dt.timedelta:
    """A re-score due this long ago and still not done has lost its task."""
    return dt.timedelta(seconds=settings.HEALTH_RESCORE_LOST_AFTER_SECONDS)


@transaction.atomic
def health_rescores_run(*, on_date: dt.date) -> int:
    """Claim every re-score due for ``on_date`` (whoever queued it) and compute them in one go; returns how many."""
    due = list(RescoreDue.objects.select_for_update().filter(date=on_date).values_list("pk", "client_id"))
    if not due:
        return 0
    RescoreDue.objects.filter(pk__in=[pk for pk, _ in due]).delete()
    return health_scores_compute(on_date=on_date, client_ids=sorted({client_id for _, client_id in due}))


def health_rescores_kick_lost(*, now: dt.datetime) -> int:
    """The sweeper's part: re-scores due long ago whose task was lost are queued again; returns the days kicked."""
    from health import tasks

    days = sorted(set(RescoreDue.objects.filter(due_at__lt=now - _rescore_lost_after()).values_list("date", flat=True)))
    for day in days:
        RescoreDue.objects.filter(date=day).update(due_at=now)
        iso = day.isoformat()
        transaction.on_commit(lambda iso=iso: tasks.score_clients_when_due.delay(iso), robust=True)
    return len(days)


def on_kpi_values_written(*, client_ids: set[int], dates: set[dt.date]) -> None:
    """Subscriber of ``kpis.services.KPI_VALUES_WRITTEN`` (registered in HealthConfig.ready)."""
    if client_ids and dates:
        health_scores_refresh_later(client_ids=client_ids, on_date=max(dates))


def on_contact_logged(*, interaction, by=None, **_: Any) -> None:
    """Subscriber of ``interactions.services.CONTACT_LOGGED``: today's score of the client reads the new last contact,
    so its explanation does not keep saying "last contact 66 days ago" beside the call just logged. A person logging
    it (who is looking at the page) gets it at once, in the same transaction; mail captured by a task is re-scored
    shortly after, debounced like a KPI batch."""
    today = timezone.localdate()
    if by is None:
        health_scores_refresh_later(client_ids={interaction.client_id}, on_date=today)
    elif HealthScore.objects.filter(client_id=interaction.client_id, date=today).exists():
        health_scores_compute(on_date=today, client_ids=[interaction.client_id])


# --- health models -----------------------------------------------------------------------------


def _spec(
    components: list[dict[str, Any]], green_min: float, yellow_min: float, *, check_metrics: bool = True
) -> scoring.ModelSpec:
    try:
        return scoring.parse_model(
            components,
            green_min=green_min,
            yellow_min=yellow_min,
            metrics=kpi_selectors.metric_metadata() if check_metrics else None,
        )
    except scoring.ModelError as exc:
        raise ApplicationError(str(exc)) from exc


@transaction.atomic
def health_model_save(
    *,
    components: list[dict[str, Any]],
    green_min: float,
    yellow_min: float,
    by: User | None,
    notes: str = "",
    check_metrics: bool = True,
) -> HealthModel:
    """Save a new version and make it the active one; earlier versions are kept unchanged."""
    if by is not None:
        _require_admin(by, "change the health model")
    _spec(components, green_min, yellow_min, check_metrics=check_metrics)
    HealthModel.objects.select_for_update().filter(is_active=True).update(is_active=False)
    latest = HealthModel.objects.aggregate(latest=Max("version"))["latest"] or 0
    return HealthModel.objects.create(
        version=latest + 1,
        components=components,
        green_min=green_min,
        yellow_min=yellow_min,
        is_active=True,
        notes=notes,
        created_by=by,
    )


def health_model_ensure_default() -> HealthModel:
    """The active model, creating the default one the first time; safe when two workers race to it."""
    model = selectors.active_model()
    if model is not None:
        return model
    try:
        with transaction.atomic():
            # The default reads the standard KPIs; one an admin has removed simply shows as missing.
            return health_model_save(
                components=scoring.DEFAULT_COMPONENTS,
                green_min=70,
                yellow_min=40,
                by=None,
                notes="Default model",
                check_metrics=False,
            )
    except IntegrityError:
        return selectors.active_model()


@transaction.atomic
def health_model_restore(*, version: HealthModel, by: User) -> HealthModel:
    """Make an earlier version's components and bands the active model again, as a new version that records which
    version it restored and who did it (the restore's audit row); the earlier version stays unchanged."""
    _require_admin(by, "restore a health model version")
    if version.is_active:
        raise ApplicationError(
            gettext("Version %(version)s is already the active model.") % {"version": version.version}
        )
    restored = health_model_save(
        components=version.components,
        green_min=version.green_min,
        yellow_min=version.yellow_min,
        by=by,
        notes=gettext("Restored from version %(version)s") % {"version": version.version},
        check_metrics=False,  # a KPI deactivated since reads as missing, as it does for the version itself
    )
    restored.restored_from = version
    restored.save(update_fields=["restored_from"])
    return restored


@transaction.atomic
def health_rescore_request(*, by: User, today: dt.date, now: dt.datetime | None = None) -> RescoreRequest:
    """Queue today's scores of every live client with the workers (the morning task, in chunks); the request only
    records the ask. The page reads progress from the scores computed since (``selectors.rescore_progress``)."""
    from health import tasks

    _require_admin(by, "re-score the clients")
    request = RescoreRequest.objects.create(
        on_date=today,
        requested_by=by,
        requested_at=now or timezone.now(),
        clients=selectors.live_clients().count(),
    )
    day = today.isoformat()
    transaction.on_commit(lambda: tasks.score_all_clients.delay(day), robust=True)
    return request


@dataclass(frozen=True)
class BandChange:
    client_id: int
    before: str
    after: str
    score_before: float
    score_after: float


@dataclass(frozen=True)
class ModelPreview:
    clients: int
    changed: int
    moves: dict[str, int]  # "green→red": count
    average_before: float | None
    average_after: float
    on_date: dt.date | None = None
    changes: tuple[BandChange, ...] = ()  # every client that would change band, worst move first


def health_model_preview(
    *, components: list[dict[str, Any]], green_min: float, yellow_min: float, on_date: dt.date
) -> ModelPreview:
    """How many clients would change band if this draft were the model (against their scores of ``on_date``)."""
    spec = _spec(components, green_min, yellow_min)
    metrics = kpi_selectors.metric_metadata()
    inputs = selectors.score_inputs(on_date=on_date, spec=spec)
    current = {
        client_id: (band, score)
        for client_id, band, score in HealthScore.objects.filter(date=on_date).values_list("client_id", "band", "score")
    }
    moves: dict[str, int] = {}
    changes: list[BandChange] = []
    total = 0.0
    for client_inputs in inputs:
        result = scoring.score_client(client_inputs, spec, metrics)
        total += result.score
        before = current.get(client_inputs.client_id)
        if before is not None and before[0] != result.band:
            move = f"{before[0]}→{result.band}"
            moves[move] = moves.get(move, 0) + 1
            changes.append(
                BandChange(
                    client_id=client_inputs.client_id,
                    before=before[0],
                    after=result.band,
                    score_before=round(before[1], 1),
                    score_after=round(result.score, 1),
                )
            )
    severity = {"red": 0, "yellow": 1, "green": 2}
    # Worst news first: moves into red, then the biggest falls.
    changes.sort(key=lambda c: (severity.get(c.after, 9), c.score_after - c.score_before, c.client_id))
    return ModelPreview(
        clients=len(inputs),
        changed=len(changes),
        moves=dict(sorted(moves.items())),
        average_before=round(sum(s for _b, s in current.values()) / len(current), 1) if current else None,
        average_after=round(total / len(inputs), 1) if inputs else 0.0,
        on_date=on_date,
        changes=tuple(changes),
    )


# --- scores ------------------------------------------------------------------------------------


def health_scores_compute(
    *, on_date: dt.date, client_ids: Sequence[int] | None = None, statuses: Sequence[str] = tuple(MANAGED_STATUSES)
) -> int:
    """Score these clients (default: all live ones) for ``on_date``; recomputing the same date replaces, never
    duplicates. ``statuses``: the current statuses scored; a caller that chose the clients live on that (past) day
    by their lifecycle passes churned too, so a client that churned since is scored on the days it was live."""
    model = health_model_ensure_default()
    metrics = kpi_selectors.metric_metadata()
    spec = selectors.model_spec(model)  # a KPI deactivated since is shown as missing, not an error
    inputs = selectors.score_inputs(on_date=on_date, spec=spec, client_ids=client_ids, statuses=statuses)
    scores = [
        HealthScore(
            client_id=result.client_id,
            date=on_date,
            model=model,
            score=result.score,
            band=result.band,
            coverage=result.coverage,
            weakest=result.weakest[:100],
            components=[c.as_dict() for c in result.components],
        )
        for result in (scoring.score_client(item, spec, metrics) for item in inputs)
    ]
    with transaction.atomic():
        HealthScore.objects.bulk_create(
            scores,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["client", "date"],
            update_fields=["model", "score", "band", "coverage", "weakest", "components", "computed_at"],
        )
    return len(scores)


# --- calibration ---------------------------------------------------------------------------------

CALIBRATION_DAYS = 182  # how far back the calibration replays the model
CALIBRATION_STEP = 14  # one scored day every two weeks: the same clients' days are close to copies
CALIBRATION_LOST = dt.timedelta(minutes=30)  # a calibration not finished by then has lost its task: queue another


@dataclass(frozen=True)
class ModelCalibration:
    current: calibration.Calibration | None  # None when only a draft was asked for
    draft: calibration.Calibration | None
    days: tuple[dt.date, ...]
    churned_clients: int


def _calibration_days(today: dt.date) -> tuple[dt.date, ...]:
    return tuple(today - dt.timedelta(days=back) for back in range(CALIBRATION_DAYS, 0, -CALIBRATION_STEP))


def _observations(
    spec: scoring.ModelSpec,
    metrics: dict,
    days: Sequence[dt.date],
    churned: dict[int, dt.date],
    today: dt.date,
    progress: Callable[[int], None] | None = None,
) -> list[calibration.Observation]:
    statuses = [*MANAGED_STATUSES, ClientStatus.CHURNED]
    observations = []
    for index, day in enumerate(days, start=1):
        for item in selectors.score_inputs(on_date=day, spec=spec, statuses=statuses):
            churn = churned.get(item.client_id)
            if churn is not None and churn <= day:
                continue  # not a client any more on that day
            result = scoring.score_client(item, spec, metrics)
            observations.append(
                calibration.Observation(
                    score=result.score,
                    band=result.band,
                    days_to_churn=(churn - day).days if churn is not None else None,
                    days_observed=(today - day).days,
                )
            )
        if progress is not None:
            progress(index)
    return observations


def health_model_calibration(
    *,
    today: dt.date,
    draft: tuple[list[dict[str, Any]], float, float] | None = None,
    current: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ModelCalibration:
    """How well the active model (and a draft: components, green, yellow) ordered churn over the history: each
    model re-scores every client every CALIBRATION_STEP days over the last CALIBRATION_DAYS, against the churn
    dates of ``selectors.churn_dates``. A read: nothing is saved. Queries grow with the days, not the clients; the
    time with both: the model page has it computed by a worker (health_calibration_start)."""
    metrics = kpi_selectors.metric_metadata()
    churned = selectors.churn_dates()
    days = _calibration_days(today)
    model = health_model_ensure_default()
    current_result = (
        calibration.calibrate(_observations(selectors.model_spec(model), metrics, days, churned, today, progress))
        if current
        else None
    )
    draft_result = None
    if draft is not None:
        components, green_min, yellow_min = draft
        spec = _spec(components, green_min, yellow_min)
        draft_result = calibration.calibrate(_observations(spec, metrics, days, churned, today, progress))
    return ModelCalibration(current=current_result, draft=draft_result, days=days, churned_clients=len(churned))


def calibration_figures(result: calibration.Calibration) -> dict[str, Any]:
    """A calibration as plain JSON (stored on CalibrationJob, read by the model page)."""

    def rate(row: calibration.Rate) -> dict[str, Any]:
        return {"label": row.label, "observations": row.observations, "churns": row.churns, "rate": row.rate,
                "low": row.low, "high": row.high}  # fmt: skip

    return {
        "aucs": [
            {"days": a.days, "auc": a.auc, "churns": a.churns, "observations": a.observations} for a in result.aucs
        ],
        "bands": [rate(row) for row in result.bands],
        "deciles": [rate(row) for row in result.deciles],
        "rate_horizon": result.rate_horizon,
        "observations": result.observations,
    }


@transaction.atomic
def health_calibration_start(
    *, by: User | None, today: dt.date, draft: tuple[list[dict[str, Any]], float, float] | None = None
) -> CalibrationJob:
    """Queue the calibration of the active model (``draft=None``) or of a draft (components, green, yellow: checked
    here, so a bad draft queues nothing); a worker computes it (health_calibration_run) and the page polls it."""
    from health import tasks

    model = health_model_ensure_default()
    stored: dict[str, Any] = {}
    if draft is not None:
        components, green_min, yellow_min = draft
        _spec(components, green_min, yellow_min)
        stored = {"components": components, "green_min": green_min, "yellow_min": yellow_min}
    job = CalibrationJob.objects.create(
        model=None if draft is not None else model,
        draft=stored,
        requested_by=by,
        until=today,
        days_total=len(_calibration_days(today)),
    )
    transaction.on_commit(lambda: tasks.calibrate_model.delay(job.pk), robust=True)
    return job


def health_calibration_ensure(*, today: dt.date) -> CalibrationJob:
    """The active model's calibration of ``today``: the one done or under way, else a new one queued."""
    model = health_model_ensure_default()
    job = (
        CalibrationJob.objects.filter(model=model, until=today)
        .exclude(status=CalibrationStatus.FAILED)
        .order_by("-created_at")
        .first()
    )
    stale = timezone.now() - CALIBRATION_LOST
    lost = job is not None and job.status != CalibrationStatus.DONE and job.created_at < stale
    return job if job is not None and not lost else health_calibration_start(by=None, today=today)


def health_calibration_run(*, job_id: int) -> None:
    """Compute a queued calibration, recording its progress day by day; a finished job is left alone."""
    claimed = CalibrationJob.objects.filter(
        pk=job_id, status__in=[CalibrationStatus.QUEUED, CalibrationStatus.RUNNING]
    ).update(status=CalibrationStatus.RUNNING)
    if not claimed:
        return
    job = CalibrationJob.objects.get(pk=job_id)

    def progress(done: int) -> None:
        CalibrationJob.objects.filter(pk=job_id).update(days_done=done)

    draft = (job.draft["components"], job.draft["green_min"], job.draft["yellow_min"]) if job.draft else None
    try:
        result = health_model_calibration(today=job.until, draft=draft, current=draft is None, progress=progress)
    except ApplicationError as exc:
        CalibrationJob.objects.filter(pk=job_id).update(
            status=CalibrationStatus.FAILED, error=exc.message, finished_at=timezone.now()
        )
        return
    figures = calibration_figures(result.draft if draft is not None else result.current)
    figures.update(days=[day.isoformat() for day in result.days], churned_clients=result.churned_clients)
    CalibrationJob.objects.filter(pk=job_id).update(
        status=CalibrationStatus.DONE, figures=figures, days_done=job.days_total, finished_at=timezone.now()
    )
