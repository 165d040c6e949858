"""What an AM does with a flag, and how leads and admins manage trigger rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from clients.permissions import client_can_edit
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from flags import likelihood, notices, rules, selectors
from flags.models import (
    LIVE_FLAG_STATUSES,
    BacktestJob,
    BacktestStatus,
    Flag,
    FlagStatus,
    Resolution,
    RuleScorecard,
    TriggerRule,
)
from flags.permissions import flag_can_act, flag_can_reassign, rule_can_create, rule_can_edit
from interactions.models import Interaction
from kpis import selectors as kpi_selectors
from notifications.webhooks import WebhookEvent
from users.models import Role, User


def _live_flag(flag: Flag, by: User) -> Flag:
    if not flag_can_act(user=by, flag=flag):
        raise NotAllowedError("This flag belongs to someone else's account.")
    current = Flag.objects.select_for_update().get(pk=flag.pk)
    if current.status not in LIVE_FLAG_STATUSES:
        raise ApplicationError(f"This flag is already {current.get_status_display().lower()}.")
    return current


def _close(flag: Flag, *, by: User, resolution: str, note: str = "") -> None:
    flag.status = FlagStatus.DISMISSED if resolution == Resolution.DISMISSED else FlagStatus.RESOLVED
    flag.resolution = resolution
    flag.resolution_note = note
    flag.resolved_by = by
    flag.closed_on = timezone.localdate()
    flag.version += 1
    flag.save()
    notices.flags_emit([flag], event=WebhookEvent.FLAG_RESOLVED)


@transaction.atomic
def flag_handle(*, flag: Flag, by: User, interaction: Interaction) -> Flag:
    """The call that handled the flag was logged: resolve it and link the interaction."""
    current = _live_flag(flag, by)
    if interaction.client_id != current.client_id:
        raise ApplicationError("That interaction is about another client.")
    current.interaction = interaction
    # A private note's text stays on the interaction, behind its visibility rule; it is never copied onto the flag.
    note = "" if interaction.is_private else interaction.summary[:500]
    _close(current, by=by, resolution=Resolution.HANDLED, note=note)
    return current


@transaction.atomic
def flag_handle_with_call(
    *, flag: Flag, by: User, followup: dict[str, Any] | None = None, **interaction_fields: Any
) -> tuple[Flag, Interaction]:
    """Log the call (and its follow-up) that handles the flag, and resolve the flag with it: one action,
    for the flag page and My day alike."""
    from interactions.models import FollowUpOrigin
    from interactions.services import interaction_log_with_followup

    current = _live_flag(flag, by)
    interaction, _followup = interaction_log_with_followup(
        client=current.client, by=by, followup=followup, followup_origin=FollowUpOrigin.FLAG, **interaction_fields
    )
    return flag_handle(flag=current, by=by, interaction=interaction), interaction


@transaction.atomic
def flag_resolve_with_work(*, flag: Flag, by: User | None, note: str, interaction: Interaction | None = None) -> Flag:
    """The work planned for the flag (a playbook run) is done: resolve it as handled, the work named in the note.
    ``by`` None: the system, when the last step closed by itself. Whoever may work the run (its steps' owners
    included) closes the flag with it: the playbook's author decided that completing it handles the flag."""
    current = Flag.objects.select_for_update().get(pk=flag.pk)
    if current.status not in LIVE_FLAG_STATUSES:
        return current
    if interaction is not None and interaction.client_id == current.client_id:
        current.interaction = interaction
    _close(current, by=by, resolution=Resolution.HANDLED, note=note)
    return current


@transaction.atomic
def flag_snooze(*, flag: Flag, by: User, until: dt.date | None = None, until_worse: bool = False) -> Flag:
    """Quiet until a date, or until the numbers get worse than they are now."""
    current = _live_flag(flag, by)
    if until is None and not until_worse:
        raise ApplicationError("Snooze until a date, or until the KPI gets worse.", field="until")
    if until is not None and until <= timezone.localdate():
        raise ApplicationError("Pick a date after today.", field="until")
    if until is not None and until > timezone.localdate() + dt.timedelta(days=180):
        raise ApplicationError("Snooze for 180 days at most.", field="until")
    current.status = FlagStatus.SNOOZED
    current.snoozed_until = until
    current.snooze_until_worse = until_worse
    current.snooze_measure = current.measure if until_worse else None
    current.version += 1
    current.save()
    return current


@transaction.atomic
def flag_dismiss(*, flag: Flag, by: User, reason: str) -> Flag:
    """Not useful: closed, and the reason is kept as feedback for tuning the rule."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the flag is not useful; it helps tune the rule.", field="reason")
    current = _live_flag(flag, by)
    _close(current, by=by, resolution=Resolution.DISMISSED, note=reason[:2000])
    return current


@transaction.atomic
def flag_reassign(*, flag: Flag, by: User, to: User) -> Flag:
    if not flag_can_reassign(user=by, flag=flag):
        raise NotAllowedError(_("Only the team lead or an admin can reassign this flag."))
    current = _live_flag(flag, by)
    client = current.client
    if to.role not in {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD} or not to.is_active:
        raise ApplicationError("Reassign to an active account manager or team lead.", field="to")
    if client.team_id and to.team_id != client.team_id:
        raise ApplicationError(f"{to} is not in the client's team.", field="to")
    current.assigned_to = to
    current.version += 1
    current.save()
    if to != by:
        notices.flag_reassigned_tell(current, by=by, to=to)
    return current


@transaction.atomic
def flag_raise(*, client: Client, by: User, title: str, evidence: str) -> Flag:
    """A flag raised by hand ('I have a bad feeling about this account'); used to back-test rules too."""
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError("You can view this client but not flag it.")
    if not (title or "").strip() or not (evidence or "").strip():
        raise ApplicationError("Give the flag a title and say why.")
    today = timezone.localdate()
    flag = Flag.objects.create(
        client=client,
        rule=None,
        title=title.strip()[:200],
        severity=2,
        assigned_to=client.owner or by,
        evidence=evidence.strip(),
        opened_on=today,
        last_seen_on=today,
        created_by=by,
    )
    if flag.assigned_to_id != by.pk:
        notices.flags_opened_tell([flag])
    else:
        notices.flags_emit([flag], event=WebhookEvent.FLAG_OPENED)
    return flag


# --- rules -------------------------------------------------------------------------------------


def _validated(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return rules.validate(kind, params, kpi_selectors.metric_metadata())
    except rules.RuleError as exc:
        raise ApplicationError(str(exc), field="params") from exc


@transaction.atomic
def rule_create(
    *, by: User, name: str, kind: str, params: dict[str, Any], team_id: int | None, **fields: Any
) -> TriggerRule:
    if not rule_can_create(user=by, team_id=team_id):
        raise NotAllowedError("Admins create global rules; team leads create rules for their own team.")
    if not (name or "").strip():
        raise ApplicationError("Name the rule.", field="name")
    rule = TriggerRule(
        name=name.strip(), kind=kind, params=_validated(kind, params), team_id=team_id, created_by=by, **fields
    )
    rule.full_clean(exclude=["team", "created_by"])
    rule.save()
    return rule


@transaction.atomic
def rule_update(*, rule: TriggerRule, by: User, expected_version: int | None, **changes: Any) -> TriggerRule:
    if not rule_can_edit(user=by, rule=rule):
        raise NotAllowedError("You can see this rule but not change it.")
    current = TriggerRule.objects.select_for_update().get(pk=rule.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError("Someone changed this rule after you opened it; reload and try again.")
    if "team_id" in changes and not rule_can_create(user=by, team_id=changes["team_id"]):
        raise NotAllowedError("Team leads keep their rules in their own team.")
    for key, value in changes.items():
        setattr(current, key, value)
    current.params = _validated(current.kind, current.params)
    current.version += 1
    current.full_clean(exclude=["team", "created_by"])
    current.save()
    return current


# --- back-test figures ---------------------------------------------------------------------------------------------

SCORECARD_DAYS = 180


def rule_scorecards_refresh(*, today: dt.date, days: int = SCORECARD_DAYS, horizon_days: int = 90) -> int:
    """Back-test every rule over the last ``days`` days on every client and store its figures (nightly task), so the
    rules page shows them in a constant number of queries. A rule whose parameters no longer validate is skipped."""
    from flags import backtest, evaluation

    metrics = kpi_selectors.metric_metadata()
    done = 0
    for rule in TriggerRule.objects.order_by("pk"):
        try:
            spec = evaluation.rule_spec(rule, metrics)
        except rules.RuleError:
            continue
        result = backtest.backtest(spec=spec, user=None, days=days, until=today, horizon_days=horizon_days)
        with transaction.atomic():
            RuleScorecard.objects.update_or_create(
                rule=rule,
                defaults={
                    "computed_at": timezone.now(),
                    "start": result.start,
                    "end": result.end,
                    "horizon_days": horizon_days,
                    "figures": backtest.summary(result),
                },
            )
        done += 1
    return done


@transaction.atomic
def backtest_job_start(*, by: User, rule: TriggerRule, days: int, horizon_days: int, today: dt.date) -> BacktestJob:
    """Queue a back-test of a saved rule; the worker runs it (backtest_job_run) and the page polls its progress."""
    from flags import tasks

    if days not in (90, 180, 365):
        raise ApplicationError(_("Back-test over 90, 180 or 365 days."), field="period")
    if not 1 <= horizon_days <= 365:
        raise ApplicationError(_("The warning horizon is 1 to 365 days."), field="horizon")
    job = BacktestJob.objects.create(rule=rule, requested_by=by, days=days, horizon_days=horizon_days, until=today)
    transaction.on_commit(lambda: tasks.run_backtest_job.delay(job.pk))
    return job


def backtest_job_run(*, job_id: int) -> None:
    """Run a queued back-test, recording its progress every few days; idempotent (a finished job is left alone)."""
    from flags import backtest, evaluation

    claimed = BacktestJob.objects.filter(pk=job_id, status__in=[BacktestStatus.QUEUED, BacktestStatus.RUNNING]).update(
        status=BacktestStatus.RUNNING
    )
    if not claimed:
        return
    job = BacktestJob.objects.select_related("rule", "requested_by").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        if done == total or done % 7 == 0:
            BacktestJob.objects.filter(pk=job_id).update(days_done=done)

    try:
        spec = evaluation.rule_spec(job.rule, kpi_selectors.metric_metadata())
        result = backtest.backtest(
            spec=spec,
            user=job.requested_by,
            days=job.days,
            until=job.until,
            horizon_days=job.horizon_days,
            progress=progress,
        )
    except rules.RuleError as exc:
        BacktestJob.objects.filter(pk=job_id).update(
            status=BacktestStatus.FAILED, error=str(exc), finished_at=timezone.now()
        )
        return
    BacktestJob.objects.filter(pk=job_id).update(
        status=BacktestStatus.DONE, figures=backtest.summary(result), days_done=job.days, finished_at=timezone.now()
    )


# --- renewal likelihood (kept on contracts.Renewal, a denormalised fact of this app) ---------------


def renewal_likelihoods_refresh(*, on_date: dt.date, client_ids=None, renewal_ids=None) -> int:
    """Recompute the likelihood of the open renewals of these clients (or these renewals) and keep it on each
    renewal; closed ones get their outcome. Runs in the daily run's chunk and after the AM changes a renewal."""
    from contracts.models import CLOSED_STAGES, Renewal

    queryset = Renewal.objects.all()
    if client_ids is not None:
        queryset = queryset.filter(client_id__in=list(client_ids)).exclude(stage__in=CLOSED_STAGES)
    if renewal_ids is not None:
        queryset = queryset.filter(pk__in=list(renewal_ids))
    renewals = list(queryset.only("pk", "client_id", "stage", "forecast_call", "likelihood", "likelihood_factors"))
    inputs = selectors.renewal_likelihood_inputs(renewals=renewals, on_date=on_date)
    changed = []
    for renewal in renewals:
        result = likelihood.renewal_likelihood(inputs[renewal.pk])
        factors = [f.as_json() for f in result.factors]
        if renewal.likelihood != result.percent or renewal.likelihood_factors != factors:
            renewal.likelihood, renewal.likelihood_factors = result.percent, factors
            changed.append(renewal)
        renewal.likelihood_on = on_date
    # A computed fact like Client.last_contact_at: kept with a plain update, outside the audit history.
    Renewal.objects.bulk_update(renewals, ["likelihood", "likelihood_factors", "likelihood_on"], batch_size=500)
    return len(changed)


def renewal_likelihood_on_change(*, renewal_id: int, today: dt.date) -> None:
    """Subscriber of contracts.renewal_changed: the AM's stage or call is an input, so recompute at once."""
    renewal_likelihoods_refresh(on_date=today, renewal_ids=[renewal_id])
