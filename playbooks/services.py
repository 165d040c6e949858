"""Every write of playbooks: defining them (each edit a new version), starting runs, working their steps.

Runs start by hand, or from events of the apps to the left (subscribed in PlaybooksConfig.ready()): a flag
opened by the morning run (flags), a handoff accepted (clients), a follow-up closed (interactions, which moves a
run on), and from the daily task (renewals coming up, waits that ended, steps due today). This app publishes
its own events with ids only, for whoever wants to tell people (notifications, webhooks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, ContactRole, DealKind, Handoff
from clients.notices import client_figures
from clients.permissions import client_can_edit
from core import events
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from core.locking import save_audited
from flags.models import EvaluationRun, Flag, Severity
from interactions import services as interaction_services
from interactions.models import FollowUp, FollowUpOrigin, FollowUpStatus
from notifications.services import outbox_enqueue
from playbooks import schedule, templating
from playbooks.models import (
    FOLLOWUP_KINDS,
    OwnerRole,
    Playbook,
    PlaybookRun,
    PlaybookStep,
    PlaybookVersion,
    RunStatus,
    RunStep,
    StepKind,
    StepStatus,
    Trigger,
)
from playbooks.permissions import (
    playbook_applies_to,
    playbook_can_create,
    playbook_can_edit,
    run_can_act,
    step_can_act,
)
from users.models import Role, User

# Events this app publishes (ids only; subscribers read what they need).
RUN_STARTED = "playbooks.run_started"  # run_id, client_id, playbook_id
RUN_COMPLETED = "playbooks.run_completed"  # run_id, client_id, playbook_id
STEP_DUE = "playbooks.step_due"  # run_step_id, run_id, client_id, owner_id, due_date

MAX_STEPS = 30
MAX_OFFSET_DAYS = 365
STEP_FIELDS = ("kind", "title", "owner_role", "offset_days", "anchor", "contact_role", "email_subject", "email_body")
PLAYBOOK_FIELDS = ("name", "description", "trigger", "days_before_renewal", "resolves_flag", "is_active")


# --- defining playbooks ------------------------------------------------------------------------------------------


def _clean_steps(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps as they will be stored, in order; refusals name the step (``steps``) and the problem."""
    if not steps:
        raise ApplicationError(_("Add at least one step."), field="steps")
    if len(steps) > MAX_STEPS:
        raise ApplicationError(_("A playbook has %(max)s steps at most.") % {"max": MAX_STEPS}, field="steps")
    cleaned = []
    for number, raw in enumerate(steps, start=1):
        step = {key: raw.get(key) for key in STEP_FIELDS}
        step["kind"] = step["kind"] or StepKind.TASK
        step["title"] = (step["title"] or "").strip()
        step["owner_role"] = step["owner_role"] or OwnerRole.AM
        step["anchor"] = step["anchor"] or "previous"
        step["contact_role"] = step["contact_role"] or ""
        step["email_subject"] = (step["email_subject"] or "").strip()
        step["email_body"] = step["email_body"] or ""
        where = {"n": number}
        if step["kind"] not in StepKind.values:
            raise ApplicationError(_("Step %(n)s: choose what kind of step it is.") % where, field="steps")
        if step["owner_role"] not in OwnerRole.values or step["anchor"] not in ("start", "previous"):
            raise ApplicationError(_("Step %(n)s: choose who does it and when.") % where, field="steps")
        if not step["title"]:
            raise ApplicationError(_("Step %(n)s: say what has to be done.") % where, field="steps")
        try:
            step["offset_days"] = int(step["offset_days"] or 0)
        except (TypeError, ValueError):
            raise ApplicationError(_("Step %(n)s: the days are a whole number.") % where, field="steps") from None
        if not 0 <= step["offset_days"] <= MAX_OFFSET_DAYS:
            raise ApplicationError(
                _("Step %(n)s: due 0 to %(max)s days later.") % {**where, "max": MAX_OFFSET_DAYS}, field="steps"
            )
        if step["kind"] == StepKind.EMAIL:
            if step["contact_role"] not in ContactRole.values:
                raise ApplicationError(_("Step %(n)s: choose whom the e-mail goes to.") % where, field="steps")
            if not step["email_subject"] or not step["email_body"].strip():
                raise ApplicationError(_("Step %(n)s: the e-mail needs a subject and a text.") % where, field="steps")
            unknown = templating.unknown_placeholders(step["email_subject"] + step["email_body"])
            if unknown:
                raise ApplicationError(
                    _("Step %(n)s: unknown field(s) %(names)s in the e-mail.")
                    % {**where, "names": ", ".join(f"{{{name}}}" for name in unknown)},
                    field="steps",
                )
        else:
            step["contact_role"], step["email_subject"], step["email_body"] = "", "", ""
        step["title"] = step["title"][:200]
        cleaned.append(step)
    return cleaned


def _check_trigger(trigger: str, rule_ids: Iterable[int], team_id: int | None) -> list[int]:
    from flags.models import TriggerRule

    if trigger not in Trigger.values:
        raise ApplicationError(_("Choose when the playbook starts."), field="trigger")
    rule_ids = sorted(set(rule_ids or ()))
    if trigger == Trigger.FLAG and not rule_ids:
        raise ApplicationError(_("Choose the rules whose flags start this playbook."), field="rules")
    if rule_ids:
        allowed = TriggerRule.objects.filter(pk__in=rule_ids)
        if team_id is not None:
            allowed = allowed.filter(team__isnull=True) | allowed.filter(team_id=team_id)
        if allowed.count() != len(rule_ids):
            raise ApplicationError(_("One of the rules does not exist or belongs to another team."), field="rules")
    return rule_ids


def _write_version(playbook: Playbook, *, number: int, by: User, steps: list[dict[str, Any]]) -> PlaybookVersion:
    version = PlaybookVersion.objects.create(playbook=playbook, number=number, created_by=by)
    PlaybookStep.objects.bulk_create(
        [PlaybookStep(version=version, position=i, **step) for i, step in enumerate(steps, start=1)]
    )
    return version


@transaction.atomic
def playbook_create(
    *,
    by: User,
    name: str,
    steps: Sequence[dict[str, Any]],
    team_id: int | None = None,
    trigger: str = Trigger.MANUAL,
    rule_ids: Iterable[int] = (),
    days_before_renewal: int = 90,
    resolves_flag: bool = True,
    is_active: bool = True,
    description: str = "",
) -> Playbook:
    if not playbook_can_create(user=by, team_id=team_id):
        raise NotAllowedError(_("Admins define global playbooks; team leads define their own team's."))
    if not (name or "").strip():
        raise ApplicationError(_("Name the playbook."), field="name")
    if not 1 <= int(days_before_renewal) <= 365:
        raise ApplicationError(_("Start 1 to 365 days before the renewal."), field="days_before_renewal")
    cleaned = _clean_steps(steps)
    rule_ids = _check_trigger(trigger, rule_ids, team_id)
    playbook = Playbook.objects.create(
        name=name.strip()[:120],
        description=description or "",
        team_id=team_id,
        trigger=trigger,
        days_before_renewal=days_before_renewal,
        resolves_flag=resolves_flag,
        is_active=is_active,
        created_by=by,
        current_version=1,
    )
    playbook.rules.set(rule_ids)
    _write_version(playbook, number=1, by=by, steps=cleaned)
    return playbook


@transaction.atomic
def playbook_update(
    *,
    playbook: Playbook,
    by: User,
    expected_version: int | None,
    steps: Sequence[dict[str, Any]] | None = None,
    rule_ids: Iterable[int] | None = None,
    **changes: Any,
) -> Playbook:
    """Change a playbook. New steps make a new version; runs already started keep theirs."""
    if not playbook_can_edit(user=by, playbook=playbook):
        raise NotAllowedError(_("You can see this playbook but not change it."))
    current = Playbook.objects.select_for_update().get(pk=playbook.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError(_("Someone changed this playbook after you opened it; reload and try again."))
    unknown = set(changes) - set(PLAYBOOK_FIELDS) - {"team_id"}
    if unknown:
        raise ApplicationError(_("Unknown field(s): %(names)s.") % {"names": ", ".join(sorted(unknown))})
    if "team_id" in changes and not playbook_can_create(user=by, team_id=changes["team_id"]):
        raise NotAllowedError(_("Team leads keep their playbooks in their own team."))
    for key, value in changes.items():
        setattr(current, key, value)
    if not (current.name or "").strip():
        raise ApplicationError(_("Name the playbook."), field="name")
    if not 1 <= int(current.days_before_renewal) <= 365:
        raise ApplicationError(_("Start 1 to 365 days before the renewal."), field="days_before_renewal")
    ids = rule_ids if rule_ids is not None else current.rules.values_list("pk", flat=True)
    ids = _check_trigger(current.trigger, ids, current.team_id)
    if steps is not None:
        cleaned = _clean_steps(steps)
        latest = current.versions.order_by("-number").first()
        before = [{k: getattr(s, k) for k in STEP_FIELDS} for s in latest.steps.all()] if latest else None
        if cleaned != before:
            current.current_version = (latest.number if latest else 0) + 1
            _write_version(current, number=current.current_version, by=by, steps=cleaned)
    current.version += 1
    current.save()
    if rule_ids is not None:
        current.rules.set(ids)
    return current


# --- starting runs -----------------------------------------------------------------------------------------------


def _team_lead(client: Client) -> User | None:
    if client.team_id is None:
        return None
    return User.objects.filter(team_id=client.team_id, role=Role.TEAM_LEAD, is_active=True).order_by("pk").first()


def _step_owner(step: PlaybookStep, client: Client, fallback: User | None) -> User | None:
    if step.owner_role == OwnerRole.LEAD:
        owner = _team_lead(client)
    elif step.owner_role == OwnerRole.SALES:
        owner = client.sales_owner
    else:
        owner = client.owner
    for candidate in (owner, client.owner, _team_lead(client), fallback):
        if candidate is not None and candidate.is_active:
            return candidate
    return None


@transaction.atomic
def playbook_run_start(
    *,
    playbook: Playbook,
    client: Client,
    by: User | None,
    today: dt.date,
    because: str = Trigger.MANUAL,
    cause: str = "",
    flag: Flag | None = None,
    evaluation_run_id: int | None = None,
) -> PlaybookRun:
    """Start ``playbook`` for ``client`` with its current version; refused while another run of it is live.

    ``by`` is None for a start by an event (the system). The partial unique constraint decides between two
    starts at the same moment: the second one is refused, never a second live run.
    """
    if by is not None and not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not start a playbook on it."))
    if not playbook.is_active:
        raise ApplicationError(_("This playbook is switched off."), field="playbook")
    if not playbook_applies_to(playbook=playbook, client=client):
        raise ApplicationError(_("This playbook belongs to another team."), field="playbook")
    if client.archived_at is not None:
        raise ApplicationError(_("The client is archived."))
    if flag is not None and flag.client_id != client.pk:
        raise ApplicationError(_("That flag is about another client."), field="flag")
    version = PlaybookVersion.objects.get(playbook=playbook, number=playbook.current_version)
    try:
        with transaction.atomic():
            run = PlaybookRun.objects.create(
                playbook=playbook,
                playbook_version=version,
                client=client,
                flag=flag,
                started_because=because,
                cause=cause[:60],
                started_on=today,
                started_by=by,
                evaluation_run_id=evaluation_run_id,
            )
    except IntegrityError:
        raise ApplicationError(
            _("%(client)s already has a run of “%(playbook)s” in progress.")
            % {"client": client.name, "playbook": playbook.name},
            field="playbook",
        ) from None
    steps = list(version.steps.order_by("position"))
    RunStep.objects.bulk_create([RunStep(run=run, step=step, position=step.position) for step in steps])
    if evaluation_run_id is not None:
        EvaluationRun.objects.filter(pk=evaluation_run_id).update(playbooks_started=F("playbooks_started") + 1)
    _advance(run, by=by, today=today)
    events.publish(
        RUN_STARTED, run_id=run.pk, client_id=client.pk, playbook_id=playbook.pk, display=_display(run, client=client)
    )
    return run


def _display(run: PlaybookRun, *, client: Client | None = None, step: RunStep | None = None) -> dict[str, Any]:
    """What notifications and webhooks name (captured now: notifications may not read playbooks or clients)."""
    client = client or run.client
    display: dict[str, Any] = {
        "client": client.name,
        "playbook": run.playbook.name,
        "url": reverse("playbooks:run", args=[run.pk]),
        "figures": client_figures(client),
    }
    if step is not None:
        display["step"] = step.step.title
        display["due"] = step.due_date.isoformat() if step.due_date else ""
    return display


def _start_quietly(**kwargs: Any) -> PlaybookRun | None:
    """An automatic start: a live run of the same playbook, or one started by the same cause, means nothing to do."""
    playbook, client, cause = kwargs["playbook"], kwargs["client"], kwargs.get("cause", "")
    if cause and PlaybookRun.objects.filter(playbook=playbook, client=client, cause=cause).exists():
        return None
    if PlaybookRun.objects.filter(playbook=playbook, client=client, status=RunStatus.ACTIVE).exists():
        return None
    try:
        with transaction.atomic():
            return playbook_run_start(by=None, **kwargs)
    except ApplicationError:
        return None


def _live_playbooks(trigger: str):
    return Playbook.objects.filter(trigger=trigger, is_active=True)


def on_flags_opened(*, flag_ids: Sequence[int], on_date: dt.date, evaluation_run_id: int | None = None) -> int:
    """flags.evaluation.FLAGS_OPENED: playbooks of the flag's rule, and save plans for high-severity flags."""
    if not flag_ids:
        return 0
    by_rule: dict[int, list[Playbook]] = {}
    for playbook in _live_playbooks(Trigger.FLAG).prefetch_related("rules"):
        for rule in playbook.rules.all():
            by_rule.setdefault(rule.pk, []).append(playbook)
    save_plans = list(_live_playbooks(Trigger.CHURN_RISK))
    if not by_rule and not save_plans:
        return 0
    started = 0
    for flag in Flag.objects.filter(pk__in=flag_ids).select_related("client", "client__owner", "client__sales_owner"):
        candidates = [(p, Trigger.FLAG) for p in by_rule.get(flag.rule_id, [])]
        if flag.severity >= Severity.HIGH:
            candidates += [(p, Trigger.CHURN_RISK) for p in save_plans]
        for playbook, because in candidates:
            if not playbook_applies_to(playbook=playbook, client=flag.client):
                continue
            run = _start_quietly(
                playbook=playbook,
                client=flag.client,
                today=on_date,
                because=because,
                cause=f"flag:{flag.pk}",
                flag=flag,
                evaluation_run_id=evaluation_run_id,
            )
            started += run is not None
    return started


def on_handoff_accepted(handoff: Handoff, by: User) -> int:
    """clients.HANDOFF_ACCEPTED: the onboarding playbooks start for the new client (an expansion of a client
    already onboarded starts none)."""
    if handoff.kind == DealKind.EXPANSION:
        return 0
    client = Client.objects.select_related("owner", "sales_owner").get(pk=handoff.client_id)
    started = 0
    for playbook in _live_playbooks(Trigger.HANDOFF):
        if playbook_applies_to(playbook=playbook, client=client):
            run = _start_quietly(
                playbook=playbook,
                client=client,
                today=timezone.localdate(),
                because=Trigger.HANDOFF,
                cause=f"handoff:{handoff.pk}",
            )
            started += run is not None
    return started


def renewal_runs_start(*, today: dt.date) -> int:
    """The daily task: renewal playbooks start ``days_before_renewal`` days before a client's renewal date (and,
    if a day was missed, later within that window); once per renewal date."""
    started = 0
    for playbook in _live_playbooks(Trigger.RENEWAL):
        clients = Client.objects.filter(
            archived_at__isnull=True,
            renewal_date__gte=today,
            renewal_date__lte=today + dt.timedelta(days=playbook.days_before_renewal),
        ).select_related("owner", "sales_owner")
        if playbook.team_id is not None:
            clients = clients.filter(team_id=playbook.team_id)
        for client in clients.order_by("pk"):
            run = _start_quietly(
                playbook=playbook,
                client=client,
                today=today,
                because=Trigger.RENEWAL,
                cause=f"renewal:{client.renewal_date.isoformat()}",
            )
            started += run is not None
    return started


# --- moving a run on ---------------------------------------------------------------------------------------------


def _contact_values(client: Client, contact) -> dict[str, str]:
    owner = client.owner
    return {
        "client_name": client.name,
        "client_segment": getattr(client, "segment", "") or "",
        "renewal_date": client.renewal_date.isoformat() if client.renewal_date else "",
        "contact_first_name": contact.first_name if contact else "",
        "contact_name": str(contact) if contact else "",
        "am_name": str(owner) if owner else "",
        "am_email": owner.email if owner else "",
    }


def _activate(run_step: RunStep, *, run: PlaybookRun, by: User | None, previous: dt.date | None) -> None:
    step = run_step.step
    client = run.client
    run_step.due_date = schedule.step_due(
        started_on=run.started_on, anchor=step.anchor, offset_days=step.offset_days, previous=previous
    )
    run_step.status = StepStatus.ACTIVE
    run_step.owner = _step_owner(step, client, by)
    if step.kind in FOLLOWUP_KINDS and run_step.owner is not None:
        title = step.title if step.kind != StepKind.CALL else _("Call: %(title)s") % {"title": step.title}
        followup = FollowUp(
            client=client,
            owner=run_step.owner,
            title=title[:300],
            notes=_("Step %(n)s of the playbook “%(playbook)s”.") % {"n": run_step.position, "playbook": run.playbook},
            due_date=run_step.due_date,
            is_commitment=step.kind == StepKind.COMMITMENT,
            origin=FollowUpOrigin.PLAYBOOK,
            created_by=by,
        )
        save_audited(followup, by=by)
        run_step.followup = followup
    elif step.kind == StepKind.EMAIL:
        contact = (
            client.contacts.filter(role=step.contact_role, is_active=True).exclude(email="").order_by("pk").first()
            if step.contact_role
            else None
        )
        values = _contact_values(client, contact)
        run_step.draft_to = contact.email if contact else ""
        run_step.draft_subject = templating.render(step.email_subject, values)[:300]
        run_step.draft_body = templating.render(step.email_body, values)
    run_step.save()


def _close(run_step: RunStep, *, status: str, by: User | None, today: dt.date, reason: str = "") -> None:
    run_step.status = status
    run_step.closed_on = today
    run_step.closed_by = by
    run_step.skip_reason = reason
    run_step.save(update_fields=["status", "closed_on", "closed_by", "skip_reason"])


def _advance(run: PlaybookRun, *, by: User | None, today: dt.date) -> None:
    """Activate the next step once the ones before it are closed; waits that have ended close by themselves;
    the run completes after its last step."""
    if run.status != RunStatus.ACTIVE:
        return
    steps = list(run.steps.select_related("step").order_by("position"))
    previous: dt.date | None = None
    for run_step in steps:
        if run_step.is_closed:
            previous = run_step.closed_on
            continue
        if run_step.status == StepStatus.PENDING:
            _activate(run_step, run=run, by=by, previous=previous)
        if run_step.step.kind == StepKind.WAIT and run_step.due_date <= today:
            _close(run_step, status=StepStatus.DONE, by=None, today=run_step.due_date)
            previous = run_step.closed_on
            continue
        return  # the active step waits for someone
    _complete(run, by=by, today=today)


def _complete(run: PlaybookRun, *, by: User | None, today: dt.date) -> None:
    from flags.services import flag_resolve_with_work

    run.status = RunStatus.COMPLETED
    run.completed_on = today
    run.save(update_fields=["status", "completed_on", "updated_at"])
    if run.flag_id and run.playbook.resolves_flag:
        flag = Flag.objects.select_related("client").get(pk=run.flag_id)
        if flag.is_live:
            followups = [s.followup for s in run.steps.select_related("followup") if s.followup_id]
            interaction = next((f.interaction for f in reversed(followups) if f.interaction_id), None)
            note = _("Playbook “%(playbook)s” completed: %(steps)s.") % {
                "playbook": run.playbook.name,
                "steps": "; ".join(
                    f"{s.position}. {s.step.title} ({s.get_status_display()})" for s in run.steps.select_related("step")
                ),
            }
            flag_resolve_with_work(flag=flag, by=by, note=note[:2000], interaction=interaction)
    events.publish(
        RUN_COMPLETED, run_id=run.pk, client_id=run.client_id, playbook_id=run.playbook_id, display=_display(run)
    )


def _locked_step(run_step: RunStep, by: User) -> RunStep:
    current = RunStep.objects.select_for_update().select_related("run", "run__client", "step").get(pk=run_step.pk)
    if not step_can_act(user=by, run_step=current):
        raise NotAllowedError(_("This step is not yours to work."))
    if current.run.status != RunStatus.ACTIVE:
        raise ApplicationError(_("This run is over."))
    if current.status != StepStatus.ACTIVE:
        raise ApplicationError(_("This step is not the one to do now."))
    return current


@transaction.atomic
def run_step_complete(*, run_step: RunStep, by: User, today: dt.date) -> RunStep:
    """Done: a follow-up step closes its follow-up (which moves the run on); a wait may be ended early."""
    current = _locked_step(run_step, by)
    if current.step.kind == StepKind.EMAIL:
        raise ApplicationError(_("Send the e-mail (or skip the step)."))
    if current.followup_id and current.followup.status == FollowUpStatus.OPEN:
        interaction_services.followup_complete(followup=current.followup, by=by)  # -> on_followup_closed
        current.refresh_from_db()
        return current
    _close(current, status=StepStatus.DONE, by=by, today=today)
    _advance(current.run, by=by, today=today)
    return current


@transaction.atomic
def run_step_skip(*, run_step: RunStep, by: User, reason: str, today: dt.date) -> RunStep:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the step is skipped."), field="reason")
    current = _locked_step(run_step, by)
    if current.followup_id and current.followup.status == FollowUpStatus.OPEN:
        interaction_services.followup_cancel(followup=current.followup, by=by, reason=reason)  # -> on_followup_closed
        current.refresh_from_db()
        return current
    _close(current, status=StepStatus.SKIPPED, by=by, today=today, reason=reason[:2000])
    _advance(current.run, by=by, today=today)
    return current


@transaction.atomic
def run_step_send(*, run_step: RunStep, by: User, to: str, subject: str, body: str, today: dt.date) -> RunStep:
    """The AM pressed send on the drafted e-mail: it leaves through the outbox (exactly once)."""
    current = _locked_step(run_step, by)
    if current.step.kind != StepKind.EMAIL:
        raise ApplicationError(_("Only an e-mail step is sent."))
    to, subject = (to or "").strip(), (subject or "").strip()
    try:
        validate_email(to)
    except ValidationError:
        raise ApplicationError(_("Enter the recipient's e-mail address."), field="to") from None
    if not subject or not (body or "").strip():
        raise ApplicationError(_("The e-mail needs a subject and a text."), field="subject" if not subject else "body")
    key = f"playbook-step:{current.pk}"
    outbox_enqueue(key=key, recipient=to, subject=subject, body=body)
    current.draft_to, current.draft_subject, current.draft_body, current.outbox_key = to, subject[:300], body, key
    current.save(update_fields=["draft_to", "draft_subject", "draft_body", "outbox_key"])
    _close(current, status=StepStatus.DONE, by=by, today=today)
    _advance(current.run, by=by, today=today)
    return current


def on_followup_closed(*, followup: FollowUp, by: User) -> None:
    """interactions.FOLLOWUP_CLOSED: a playbook's follow-up done (step done) or cancelled (step skipped)."""
    run_step = (
        RunStep.objects.select_for_update()
        .select_related("run", "run__client", "run__playbook", "step")
        .filter(followup_id=followup.pk, status=StepStatus.ACTIVE)
        .first()
    )
    if run_step is None:
        return
    today = timezone.localdate()
    if followup.status == FollowUpStatus.DONE:
        _close(run_step, status=StepStatus.DONE, by=by, today=today)
    else:
        _close(run_step, status=StepStatus.SKIPPED, by=by, today=today, reason=followup.cancel_reason[:2000])
    _advance(run_step.run, by=by, today=today)


@transaction.atomic
def run_cancel(*, run: PlaybookRun, by: User, reason: str) -> PlaybookRun:
    """Stop a run: its open follow-ups are cancelled with the reason; what was done stays done."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why the run is stopped."), field="reason")
    current = PlaybookRun.objects.select_for_update().select_related("client").get(pk=run.pk)
    if not run_can_act(user=by, run=current):
        raise NotAllowedError(_("You can view this run but not stop it."))
    if current.status != RunStatus.ACTIVE:
        raise ApplicationError(_("This run is over."))
    current.status = RunStatus.CANCELLED
    current.cancel_reason = reason[:2000]
    current.completed_on = timezone.localdate()
    current.save(update_fields=["status", "cancel_reason", "completed_on", "updated_at"])
    for run_step in current.steps.filter(status=StepStatus.ACTIVE).select_related("followup"):
        if run_step.followup_id and run_step.followup.status == FollowUpStatus.OPEN:
            interaction_services.followup_cancel(followup=run_step.followup, by=by, reason=reason)
        _close(run_step, status=StepStatus.SKIPPED, by=by, today=current.completed_on, reason=reason[:2000])
    return current


def playbooks_daily(*, today: dt.date) -> dict[str, int]:
    """The daily task: renewal playbooks start, waits that ended move their run on, steps due today are announced
    (once each, as STEP_DUE events)."""
    started = renewal_runs_start(today=today)
    moved = 0
    for run_id in (
        RunStep.objects.filter(status=StepStatus.ACTIVE, step__kind=StepKind.WAIT, due_date__lte=today)
        .values_list("run_id", flat=True)
        .distinct()
    ):
        with transaction.atomic():
            run = PlaybookRun.objects.select_for_update().select_related("client", "playbook").get(pk=run_id)
            _advance(run, by=None, today=today)
            moved += 1
    announced = 0
    with transaction.atomic():
        due = list(
            RunStep.objects.select_for_update(skip_locked=True)
            .filter(status=StepStatus.ACTIVE, due_date__lte=today, due_announced_on__isnull=True)
            .exclude(step__kind=StepKind.WAIT)
            .select_related("run__client", "run__playbook", "step")
        )
        for run_step in due:
            run_step.due_announced_on = today
            run_step.save(update_fields=["due_announced_on"])
            events.publish(
                STEP_DUE,
                run_step_id=run_step.pk,
                step_id=run_step.pk,
                run_id=run_step.run_id,
                client_id=run_step.run.client_id,
                owner_id=run_step.owner_id,
                due_date=run_step.due_date,
                due_on=run_step.due_date,
                display=_display(run_step.run, step=run_step),
            )
            announced += 1
    return {"started": started, "waits_ended": moved, "announced": announced}
