"""Pages of playbooks: the list, the editor, a playbook with its versions, runs, and the run's step actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clients.permissions import client_can_edit, client_get_for_user
from core.errors import ApplicationError
from core.forms import add_service_error
from flags.permissions import flag_get_for_user
from playbooks import schedule, selectors, services
from playbooks.forms import PlaybookForm, ReasonForm, SendForm, StartForm, StepFormSet, step_initial
from playbooks.models import RunStatus, RunStep, StepKind, StepStatus, Trigger
from playbooks.permissions import (
    can_define_playbooks,
    playbook_can_edit,
    playbook_get_for_user,
    run_can_act,
    run_get_for_user,
    step_can_act,
)
from users import permissions as user_rules
from users.models import Team


def _works_accounts(request: HttpRequest) -> None:
    if not user_rules.works_accounts(request.user):
        raise PermissionDenied


@login_required
def playbook_list(request: HttpRequest) -> HttpResponse:
    _works_accounts(request)
    trigger = request.GET.get("trigger", "")
    team = request.GET.get("team", "")
    sort = request.GET.get("sort", "name")
    queryset = selectors.playbook_list(user=request.user, trigger=trigger, team=team, sort=sort)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "playbooks/playbook_list.html",
        {
            "page": page,
            "trigger": trigger,
            "team": team,
            "sort": sort,
            "triggers": Trigger.choices,
            "teams": Team.objects.order_by("name") if request.user.is_admin_role else [],
            "can_create": can_define_playbooks(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def playbook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    playbook = playbook_get_for_user(user=user, pk=pk) if pk else None
    if playbook is not None and not playbook_can_edit(user=user, playbook=playbook):
        raise PermissionDenied
    if playbook is None and not can_define_playbooks(user):
        raise PermissionDenied
    initial = None
    steps_initial = []
    if playbook is not None:
        initial = {
            "version": playbook.version,
            "name": playbook.name,
            "description": playbook.description,
            "team": playbook.team_id,
            "trigger": playbook.trigger,
            "rules": list(playbook.rules.values_list("pk", flat=True)),
            "days_before_renewal": playbook.days_before_renewal,
            "resolves_flag": playbook.resolves_flag,
            "is_active": playbook.is_active,
        }
        steps_initial = step_initial(selectors.current_steps(playbook=playbook))
    form = PlaybookForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST":
        formset = StepFormSet(request.POST, prefix="steps")
    else:
        formset = StepFormSet(initial=steps_initial or [{"ORDER": 1}], prefix="steps")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.playbook_data()
        rule_ids = [rule.pk for rule in form.cleaned_data.get("rules") or []]
        steps = formset.ordered_steps()
        try:
            if playbook is None:
                playbook = services.playbook_create(by=user, steps=steps, rule_ids=rule_ids, **data)
                messages.success(request, _("Playbook created."))
            else:
                playbook = services.playbook_update(
                    playbook=playbook,
                    by=user,
                    expected_version=form.cleaned_data.get("version"),
                    steps=steps,
                    rule_ids=rule_ids,
                    **data,
                )
                messages.success(
                    request,
                    _("Saved as version %(n)s; runs already started keep theirs.") % {"n": playbook.current_version},
                )
        except (ApplicationError, ValidationError) as exc:
            if isinstance(exc, ApplicationError) and exc.field == "steps":
                form.add_error(None, exc.message)
            else:
                add_service_error(form, exc)
            if pk is None:
                playbook = None
        else:
            return redirect("playbooks:detail", playbook.pk)
    return render(
        request,
        "playbooks/playbook_form.html",
        {"form": form, "formset": formset, "playbook": playbook},
    )


@login_required
def playbook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    playbook = playbook_get_for_user(user=request.user, pk=pk)
    runs = selectors.run_list(user=request.user, playbook_id=playbook.pk, status=request.GET.get("status", ""))
    page = Paginator(runs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "playbooks/playbook_detail.html",
        {
            "playbook": playbook,
            **selectors.playbook_detail(playbook=playbook),
            "page": page,
            "runs": [(run, selectors.progress(run)) for run in page.object_list],
            "can_edit": playbook_can_edit(user=request.user, playbook=playbook),
            "status": request.GET.get("status", ""),
            "statuses": RunStatus.choices,
        },
    )


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    _works_accounts(request)
    status = request.GET.get("status", RunStatus.ACTIVE)
    page = Paginator(selectors.run_list(user=request.user, status=status), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "playbooks/run_list.html",
        {
            "page": page,
            "runs": [(run, selectors.progress(run)) for run in page.object_list],
            "status": status,
            "statuses": RunStatus.choices,
        },
    )


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_with_steps(run=run_get_for_user(user=request.user, pk=pk))
    steps = list(run.steps.all())
    planned = schedule.due_dates(
        started_on=run.started_on,
        steps=[schedule.StepTiming(s.step.anchor, s.step.offset_days, s.closed_on) for s in steps],
    )
    can_act = run_can_act(user=request.user, run=run) and run.status == RunStatus.ACTIVE
    rows = [
        {
            "step": s,
            "due": s.due_date or planned[i],
            "can_act": s.status == StepStatus.ACTIVE
            and run.status == RunStatus.ACTIVE
            and step_can_act(user=request.user, run_step=s),
        }
        for i, s in enumerate(steps)
    ]
    return render(
        request,
        "playbooks/run_detail.html",
        {"run": run, "rows": rows, "progress": selectors.progress(run), "can_act": can_act},
    )


def _step(request: HttpRequest, run_pk: int, step_pk: int) -> RunStep:
    run = run_get_for_user(user=request.user, pk=run_pk)
    run_step = (
        RunStep.objects.select_related("run", "run__client", "step", "followup").filter(pk=step_pk, run=run).first()
    )
    if run_step is None:
        raise Http404(_("No such step."))
    return run_step


@login_required
@require_POST
def run_step_complete(request: HttpRequest, run_pk: int, step_pk: int) -> HttpResponse:
    run_step = _step(request, run_pk, step_pk)
    if not step_can_act(user=request.user, run_step=run_step):
        raise PermissionDenied
    try:
        services.run_step_complete(run_step=run_step, by=request.user, today=timezone.localdate())
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Step done."))
    return redirect("playbooks:run", run_pk)


@login_required
@require_http_methods(["GET", "POST"])
def run_step_skip(request: HttpRequest, run_pk: int, step_pk: int) -> HttpResponse:
    run_step = _step(request, run_pk, step_pk)
    if not step_can_act(user=request.user, run_step=run_step):
        raise PermissionDenied
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.run_step_skip(
                run_step=run_step, by=request.user, reason=form.cleaned_data["reason"], today=timezone.localdate()
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Step skipped."))
            return redirect("playbooks:run", run_pk)
    return render(request, "playbooks/run_step_skip.html", {"form": form, "run_step": run_step, "run": run_step.run})


@login_required
@require_http_methods(["GET", "POST"])
def run_step_send(request: HttpRequest, run_pk: int, step_pk: int) -> HttpResponse:
    run_step = _step(request, run_pk, step_pk)
    if run_step.step.kind != StepKind.EMAIL:
        raise Http404(_("Not an e-mail step."))
    if not step_can_act(user=request.user, run_step=run_step):
        raise PermissionDenied
    initial = {"to": run_step.draft_to, "subject": run_step.draft_subject, "body": run_step.draft_body}
    form = SendForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.run_step_send(run_step=run_step, by=request.user, today=timezone.localdate(), **form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("E-mail queued for sending."))
            return redirect("playbooks:run", run_pk)
    return render(request, "playbooks/run_step_send.html", {"form": form, "run_step": run_step, "run": run_step.run})


@login_required
@require_http_methods(["GET", "POST"])
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = run_get_for_user(user=request.user, pk=pk)
    if not run_can_act(user=request.user, run=run):
        raise PermissionDenied
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.run_cancel(run=run, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Playbook run stopped."))
            return redirect("playbooks:run", run.pk)
    return render(request, "playbooks/run_cancel.html", {"form": form, "run": run})


@login_required
@require_http_methods(["GET", "POST"])
def run_start(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Start by hand from a client (or one of its flags): choose, see the steps and their dates, confirm."""
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    flag_id = request.POST.get("flag") or request.GET.get("flag")
    flag = flag_get_for_user(user=request.user, pk=int(flag_id)) if flag_id and str(flag_id).isdigit() else None
    if flag is not None and flag.client_id != client.pk:
        raise Http404(_("No such flag."))
    playbooks = selectors.startable_playbooks(user=request.user, client=client)
    data = request.POST if request.method == "POST" else (request.GET if "playbook" in request.GET else None)
    form = StartForm(data, playbooks=playbooks, initial={"flag": flag.pk if flag else None})
    preview = None
    today = timezone.localdate()
    if form.is_bound and form.is_valid():
        playbook = form.cleaned_data["playbook"]
        if request.method == "POST" and "confirm" in request.POST:
            try:
                run = services.playbook_run_start(
                    playbook=playbook, client=client, by=request.user, today=today, flag=flag
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Playbook “%(name)s” started.") % {"name": playbook.name})
                return redirect("playbooks:run", run.pk)
        steps = selectors.current_steps(playbook=playbook)
        dates = schedule.due_dates(
            started_on=today, steps=[schedule.StepTiming(s.anchor, s.offset_days) for s in steps]
        )
        preview = {"playbook": playbook, "steps": list(zip(steps, dates, strict=True))}
    return render(
        request,
        "playbooks/run_start.html",
        {"form": form, "client": client, "flag": flag, "preview": preview, "has_playbooks": playbooks.exists()},
    )
