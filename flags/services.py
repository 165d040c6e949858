"""What an AM does with a flag, and how leads and admins manage trigger rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from clients.permissions import client_can_edit
from core import events
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from flags import likelihood, notices, priority, rules, selectors
from flags.models import (
    LIVE_FLAG_STATUSES,
    BacktestJob,
    BacktestStatus,
    Flag,
    FlagStatus,
    PushState,
    Resolution,
    RuleKind,
    RuleScorecard,
    TriggerRule,
)
from flags.permissions import flag_can_act, flag_can_reassign, rule_can_create, rule_can_edit
from interactions.models import Interaction
from kpis import selectors as kpi_selectors
from notifications.webhooks import WebhookEvent
from users.models import Role, User

# Published (inside the transaction) whenever live flags change hands: by hand (flag_reassign) or because their client
# changed owner. Payload: ``flag_ids``, ``client_id``, ``from_user_id``, ``to_user_id``, ``by_id``, ``reason``
# ("flag" or "client_owner"). For notifications to subscribe to.
FLAG_REASSIGNED = "flags.reassigned"

# The rules a logged contact can settle at once (they read the days since the last contact).
CONTACT_RULE_KINDS = (RuleKind.NO_CONTACT,)
# The rules a payment or a signature can settle at once.
BILLING_RULE_KINDS = (RuleKind.INVOICE_OVERDUE, RuleKind.CLOSING_DOCUMENTS_UNSIGNED)


def _live_flag(flag: Flag, by: User) -> Flag:
    if not flag_can_act(user=by, flag=flag):
        raise NotAllowedError("This flag belongs to someone else's account.")
    current = Flag.objects.select_for_update().get(pk=flag.pk)
    if current.status not in LIVE_FLAG_STATUSES:
        raise ApplicationError(f"This flag is already {current.get_status_display().lower()}.")
    return current


def _close(flag: Flag, *, by: User | None, resolution: str, note: str = "", today: dt.date | None = None) -> None:
    flag.status = FlagStatus.DISMISSED if resolution == Resolution.DISMISSED else FlagStatus.RESOLVED
    flag.resolution = resolution
    flag.resolution_note = note
    flag.resolved_by = by
    flag.closed_on = today or timezone.localdate()
    flag.version += 1
    flag._history_user = by
    flag.save()
    notices.flags_emit([flag], event=WebhookEvent.FLAG_RESOLVED)


@transaction.atomic
def flag_handle(*, flag: Flag, by: User, interaction: Interaction) -> Flag:
    """The call that handled the flag was logged: resolve it and link the interaction."""
    if not flag_can_act(user=by, flag=flag):
        raise NotAllowedError("This flag belongs to someone else's account.")
    already = Flag.objects.select_for_update().get(pk=flag.pk)
    if already.resolution == Resolution.HANDLED and already.interaction_id == interaction.pk:
        return already  # the same call settled it already (a contact rule, re-evaluated as the call was logged)
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
    previous = current.assigned_to_id
    current.assigned_to = to
    current.version += 1
    current._history_user = by
    current.save()
    if previous != to.pk:
        events.publish(
            FLAG_REASSIGNED,
            flag_ids=[current.pk],
            client_id=current.client_id,
            from_user_id=previous,
            to_user_id=to.pk,
            by_id=by.pk,
            reason="flag",
        )
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
        push_state=PushState.PUSHED,
        pushed_on=today,
    )
    if flag.assigned_to_id != by.pk:
        notices.flags_opened_tell([flag])
    else:
        notices.flags_emit([flag], event=WebhookEvent.FLAG_OPENED)
    return flag


# --- flags that follow the work ------------------------------------------------------------------------------------


def _settled_live_flags(*, client_id: int, kinds: tuple[str, ...], today: dt.date) -> list[Flag]:
    """The client's live flags of these kinds whose condition no longer holds today, tested with the daily run's
    own code (facts_as_of and flag_step), locked for the caller to close."""
    from flags import evaluation

    live = list(
        Flag.objects.select_for_update(of=("self",))
        .filter(client_id=client_id, status__in=LIVE_FLAG_STATUSES, rule__kind__in=kinds, rule__is_active=True)
        .select_related("rule")
    )
    if not live:
        return []
    metrics = kpi_selectors.metric_metadata()
    specs = {}
    for rule in {flag.rule for flag in live}:
        try:
            specs[rule.pk] = evaluation.rule_spec(rule, metrics)
        except rules.RuleError:
            continue  # the morning run skips such a rule too
    matches = evaluation.find_matches(
        client_ids=[client_id], on_date=today, specs=list(specs.values()), metrics=metrics
    )
    settled = []
    for flag in live:
        spec = specs.get(flag.rule_id)
        if spec is None:
            continue
        step = evaluation.flag_step(
            on_date=today,
            matched=(flag.client_id, spec.id) in matches,
            live_opened_on=flag.opened_on,
            last_closed_on=None,
            cooldown_days=spec.cooldown_days,
            auto_close=spec.auto_close,
        )
        if step == evaluation.FlagStep.CLOSE:
            settled.append(flag)
    return settled


@transaction.atomic
def contact_rules_reevaluate(
    *, interaction: Interaction, by: User | None = None, today: dt.date | None = None
) -> list[Flag]:
    """A contact was logged (any path: a page, the API, capture): test the client's contact rules again now and
    close what no longer holds as handled by that interaction. Subscribed to interactions.services.CONTACT_LOGGED;
    runs in the logging transaction."""
    today = today or timezone.localdate()
    # A private note's text stays on the interaction, behind its visibility rule; it is never copied onto the flag.
    note = "" if interaction.is_private else interaction.summary[:500]
    closed = _settled_live_flags(client_id=interaction.client_id, kinds=CONTACT_RULE_KINDS, today=today)
    for flag in closed:
        flag.interaction = interaction
        _close(flag, by=by or interaction.author, resolution=Resolution.HANDLED, note=note, today=today)
    return closed


@transaction.atomic
def billing_rules_reevaluate(
    *, client_id: int, by: User | None = None, today: dt.date | None = None, **_: Any
) -> list[Flag]:
    """An invoice was paid (or voided, or its dates changed) or an act signed: the client's billing flags whose
    condition no longer holds close now as "condition no longer holds", not the next morning. Subscribed to
    contracts.services.BILLING_CHANGED; runs in that transaction."""
    today = today or timezone.localdate()
    closed = _settled_live_flags(client_id=client_id, kinds=BILLING_RULE_KINDS, today=today)
    for flag in closed:
        _close(flag, by=by, resolution=Resolution.CLEARED, today=today)
    return closed


@transaction.atomic
def flags_follow_owner(
    *, client: Client, previous_owner_id: int | None, new_owner_id: int, by: User, move_flags: bool = True, **_: Any
) -> list[Flag]:
    """Hook run by clients.services.client_update when a client changes owner: the previous owner's live flags on it
    go to the new owner (unless the lead chose to leave them); each in the flag's history; FLAG_REASSIGNED published.
    A flag passed by hand to someone else stays with them."""
    if not move_flags or previous_owner_id is None or previous_owner_id == new_owner_id:
        return []
    flags = list(
        Flag.objects.select_for_update().filter(
            client=client, assigned_to_id=previous_owner_id, status__in=LIVE_FLAG_STATUSES
        )
    )
    for flag in flags:
        flag.assigned_to_id = new_owner_id
        flag.version += 1
        flag._history_user = by
        flag.save(update_fields=["assigned_to", "version", "updated_at"])
    if flags:
        events.publish(
            FLAG_REASSIGNED,
            flag_ids=[flag.pk for flag in flags],
            client_id=client.pk,
            from_user_id=previous_owner_id,
            to_user_id=new_owner_id,
            by_id=by.pk,
            reason="client_owner",
        )
    return flags


# --- the weekly cap ------------------------------------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week: the cap counts flags pushed from then."""
    return day - dt.timedelta(days=day.weekday())


def rule_precisions(*, rule_ids: set[int]) -> dict[int, float]:
    """Each rule's expected precision from its stored scorecard, shrunk toward its base rate
    (priority.precision_estimate); a rule with no scorecard gets the prior."""
    cards = dict(RuleScorecard.objects.values_list("rule_id", "figures"))
    base_rates = [f.get("base_rate") for f in cards.values() if f.get("base_rate")]
    prior = sum(base_rates) / len(base_rates) if base_rates else priority.DEFAULT_PRECISION
    result = {}
    for rule_id in rule_ids:
        figures = cards.get(rule_id) or {}
        result[rule_id] = priority.precision_estimate(
            followed=figures.get("followed") or 0,
            warnings=figures.get("warnings") or 0,
            prior=figures.get("base_rate") or prior,
        )
    return result


@transaction.atomic
def flags_weekly_cap_apply(*, on_date: dt.date) -> dict[str, int]:
    """Push the new flags (opened by the morning runs, and those held back earlier) to their AMs, at most
    settings.FLAGS_WEEKLY_CAP per AM per week (Monday to Sunday), chosen by expected value: the rule's precision ×
    the money at stake in the base currency. The rest stay live and visible, held back, and compete again on later
    days as room frees up (a new week). Flags raised by hand and unassigned flags are not capped. A cap of 0 turns it
    off. Called at the end of the morning run, in the transaction of its last chunk; idempotent."""
    cap = settings.FLAGS_WEEKLY_CAP
    candidates = list(
        Flag.objects.select_for_update(of=("self",))
        .filter(status=FlagStatus.OPEN, push_state__in=[PushState.PENDING, PushState.HELD])
        .select_related("client")
        .order_by("pk")
    )
    if not candidates:
        return {"pushed": 0, "held": 0}
    start = week_start(on_date)
    capped = [f for f in candidates if cap > 0 and f.assigned_to_id is not None and f.rule_id is not None]
    free = [f for f in candidates if f not in capped]
    owners = {f.assigned_to_id for f in capped}
    used = dict(
        Flag.objects.filter(
            assigned_to_id__in=owners,
            rule__isnull=False,
            push_state=PushState.PUSHED,
            pushed_on__gte=start,
            pushed_on__lte=on_date,
        )
        .values("assigned_to_id")
        .annotate(n=Count("pk"))
        .values_list("assigned_to_id", "n")
        .order_by()
    )
    precisions = rule_precisions(rule_ids={f.rule_id for f in capped})
    stakes = priority.client_stakes(clients={f.client_id: f.client for f in capped}.values(), today=on_date)
    pushed, held = list(free), []
    by_owner: dict[int, list[Flag]] = {}
    for flag in capped:
        by_owner.setdefault(flag.assigned_to_id, []).append(flag)
    for owner_id, flags in by_owner.items():
        flags.sort(
            key=lambda f: (
                -priority.expected_value(precision=precisions[f.rule_id], money=stakes[f.client_id].money),
                -f.severity,
                f.opened_on,
                f.pk,
            )
        )
        room = max(0, cap - used.get(owner_id, 0))
        pushed += flags[:room]
        held += flags[room:]
    newly_pushed = []
    for flag in pushed:
        flag.push_state, flag.pushed_on = PushState.PUSHED, on_date
        newly_pushed.append(flag)
    changed_to_held = [f for f in held if f.push_state != PushState.HELD]
    for flag in changed_to_held:
        flag.push_state = PushState.HELD
    Flag.objects.bulk_update([*newly_pushed, *changed_to_held], ["push_state", "pushed_on"], batch_size=500)
    from flags.evaluation import notify_opened

    notify_opened(newly_pushed)
    return {"pushed": len(newly_pushed), "held": len(held)}


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
    rules_ok, specs = [], []
    for rule in TriggerRule.objects.order_by("pk"):
        try:
            specs.append(evaluation.rule_spec(rule, metrics))
        except rules.RuleError:
            continue
        rules_ok.append(rule)
    if not specs:
        return 0
    # One replay for every rule: each day's facts are read once (a rule's flags depend only on its own facts).
    results = backtest.backtest_many(specs=specs, user=None, days=days, until=today, horizon_days=horizon_days)
    with transaction.atomic():
        for rule, result in zip(rules_ok, results, strict=True):
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
    return len(results)


@transaction.atomic
def backtest_job_start(
    *,
    by: User,
    rule: TriggerRule | None = None,
    draft: dict[str, Any] | None = None,
    days: int,
    horizon_days: int,
    today: dt.date,
) -> BacktestJob:
    """Queue a back-test of a saved ``rule`` or of a ``draft`` (kind, params, cooldown_days, auto_close, segment,
    team_id: a rule being edited, not saved); the worker runs it (backtest_job_run), the page polls its progress."""
    from flags import backtest, tasks

    if days not in (90, 180, 365):
        raise ApplicationError(_("Back-test over 90, 180 or 365 days."), field="period")
    if not 1 <= horizon_days <= 365:
        raise ApplicationError(_("The warning horizon is 1 to 365 days."), field="horizon")
    if (rule is None) == (draft is None):
        raise ApplicationError(_("Back-test either a saved rule or a draft."))
    if draft is not None:
        spec = backtest.draft_spec(**draft)  # refuses bad parameters before anything is queued
        draft = {**draft, "params": spec.params}
    job = BacktestJob.objects.create(
        rule=rule, draft=draft or {}, requested_by=by, days=days, horizon_days=horizon_days, until=today
    )
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
        if job.rule is not None:
            spec = evaluation.rule_spec(job.rule, kpi_selectors.metric_metadata())
        elif job.draft:
            spec = backtest.draft_spec(**job.draft)
        else:
            raise rules.RuleError(_("The rule of this back-test was deleted."))
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
