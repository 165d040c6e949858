"""Pages for working flags, managing rules, back-testing and the run history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clients.permissions import client_can_edit, client_get_for_user
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from core.forms import add_service_error, is_htmx
from core.redirects import safe_next_url
from flags import backtest, evaluation, rules
from flags import selectors as flag_selectors
from flags import services as flag_services
from flags.forms import PARAM_FIELDS, BacktestForm, DismissForm, RaiseFlagForm, ReassignForm, RuleForm, SnoozeForm
from flags.models import FlagStatus
from flags.panels import flag_panels_for
from flags.permissions import (
    flag_can_act,
    flag_can_reassign,
    flag_get_for_user,
    rule_can_create,
    rule_can_edit,
    rule_get_for_user,
)
from interactions.forms import InteractionForm
from kpis import selectors as kpi_selectors
from users import permissions as user_rules

# --- flags -------------------------------------------------------------------------------------


@login_required
def flag_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = request.GET.get("scope", "team" if user_rules.oversees_portfolio(user) else "mine")
    status = request.GET.get("status", "live")
    ordering = request.GET.get("ordering", "priority")
    try:
        severity = int(request.GET.get("severity") or 0)
    except ValueError:
        severity = 0
    push = request.GET.get("push", "")
    if push not in {"", "held", "pushed"}:
        push = ""
    queryset = flag_selectors.flags_for_user(
        user=user, scope=scope, status=status, severity=severity, ordering=ordering, push=push
    )
    today = timezone.localdate()
    page = flag_selectors.flags_page(
        queryset=queryset, ordering=ordering, page_number=request.GET.get("page"), today=today
    )
    return render(
        request,
        "flags/flag_list.html",
        {
            "page": page,
            "scope": scope,
            "status": status,
            "ordering": ordering,
            "severity": severity,
            "push": push,
            "statuses": [("live", _("Open and snoozed")), *FlagStatus.choices],
            "pushes": [
                ("", _("Pushed or held back")),
                ("pushed", _("Pushed to the AM")),
                ("held", _("Held back by the weekly cap")),
            ],
            "orderings": [
                ("priority", _("Priority")),
                ("newest", _("Newest")),
                ("arr", _("ARR")),
                ("client", _("Client")),
            ],
            "cap": flag_selectors.weekly_cap_for_lead(user=user, today=today) if scope == "team" else None,
            "today": today,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The flag, its evidence, and the call that handles it: logging the call resolves the flag."""
    flag = flag_get_for_user(user=request.user, pk=pk)
    can_act = flag_can_act(user=request.user, flag=flag) and flag.is_live
    can_log = can_act and client_can_edit(user=request.user, client=flag.client)
    form = InteractionForm(request.POST or None, client=flag.client, with_followup=True) if can_log else None
    if request.method == "POST":
        if not can_log:
            raise PermissionDenied
        if form.is_valid():
            try:
                flag_services.flag_handle_with_call(
                    flag=flag, by=request.user, followup=form.followup_data(), **form.interaction_data()
                )
            except (ApplicationError, ValidationError) as exc:
                add_service_error(form, exc)
            else:
                message = f"Call logged; the flag on {flag.client.name} is resolved."
                if is_htmx(request):
                    response = render(request, "flags/_flag_handled.html", {"flag": flag, "message": message})
                    response["HX-Trigger"] = "flagsChanged"
                    return response
                messages.success(request, message)
                return redirect("flags:list")
    return render(
        request,
        "flags/_flag_handle.html" if is_htmx(request) else "flags/flag_detail.html",
        {
            "flag": flag,
            "resolution": flag_selectors.flag_resolution_for(user=request.user, flag=flag),
            "form": form,
            "can_act": can_act,
            "snooze_form": SnoozeForm(),
            "reassign_form": ReassignForm(team_id=flag.client.team_id),
            "can_reassign": flag.is_live and flag_can_reassign(user=request.user, flag=flag),
            "flag_panels": flag_panels_for(flag=flag, user=request.user),
        },
    )


def _act(request: HttpRequest, pk: int, action, form_class, **form_kwargs) -> HttpResponse:
    flag = flag_get_for_user(user=request.user, pk=pk)
    if not flag_can_act(user=request.user, flag=flag):
        raise PermissionDenied
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            action(flag, form.cleaned_data)
        except NotAllowedError:
            raise PermissionDenied from None  # visible, but not theirs to do: 403
        except ApplicationError as exc:
            if is_htmx(request):
                return HttpResponse(exc.message, status=409)
            messages.error(request, exc.message)
        else:
            if is_htmx(request):
                flag.refresh_from_db()
                response = render(request, "flags/_flag_done.html", {"flag": flag})
                response["HX-Trigger"] = "flagsChanged"  # My day re-renders: the snoozed flag leaves it in place
                return response
            return redirect(safe_next_url(request, "flags:list"))
    else:
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        if is_htmx(request):
            return HttpResponse(problems, status=400)
        messages.error(request, problems)
    return redirect("flags:detail", pk=flag.pk)


@login_required
@require_POST
def flag_snooze(request: HttpRequest, pk: int) -> HttpResponse:
    def snooze(flag, data):
        flag_services.flag_snooze(flag=flag, by=request.user, until=data.get("until"), until_worse=data["until_worse"])
        if not is_htmx(request):
            messages.success(request, _("Snoozed the flag on %(client)s.") % {"client": flag.client.name})

    return _act(request, pk, snooze, SnoozeForm)


@login_required
@require_http_methods(["GET", "POST"])
def flag_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    flag = flag_get_for_user(user=request.user, pk=pk)
    if not flag_can_act(user=request.user, flag=flag):
        raise PermissionDenied
    form = DismissForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flag_services.flag_dismiss(flag=flag, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Dismissed; your reason goes to whoever tunes the rule.")
            return redirect("flags:list")
    return render(request, "flags/flag_dismiss.html", {"flag": flag, "form": form})


@login_required
@require_POST
def flag_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    flag = flag_get_for_user(user=request.user, pk=pk)
    if not flag_can_reassign(user=request.user, flag=flag):
        raise PermissionDenied  # refused before the form is read; the service checks the same rule

    def reassign(flag, data):
        flag_services.flag_reassign(flag=flag, by=request.user, to=data["to"])
        messages.success(request, f"Flag passed to {data['to']}.")

    return _act(request, pk, reassign, ReassignForm, team_id=flag.client.team_id)


@login_required
def client_flags_panel(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The client page's flags panel alone, re-read in place (htmx) after a contact is logged or a flag handled."""
    client = client_get_for_user(user=request.user, pk=client_pk)
    flags = list(flag_selectors.client_live_flags(client=client, user=request.user))
    return render(request, "flags/_client_panel.html", {"client": client, "panel": {"flags": flags}})


@login_required
@require_http_methods(["GET", "POST"])
def flag_raise(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    form = RaiseFlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flag_services.flag_raise(client=client, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Flag raised.")
            return redirect("clients:detail", pk=client.pk)
    return render(request, "flags/flag_raise.html", {"client": client, "form": form})


# --- rules -------------------------------------------------------------------------------------


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "flags/rule_list.html",
        {
            "rules": flag_selectors.rules_for_user(user=user),
            "can_create": user_rules.can_manage_rules(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    rule = rule_get_for_user(user=user, pk=pk) if pk else None
    if rule is not None and not rule_can_edit(user=user, rule=rule) and request.method == "POST":
        raise PermissionDenied
    if rule is None and not user_rules.can_manage_rules(user):
        raise PermissionDenied
    form = RuleForm(request.POST or None, instance=rule, user=user)
    job = None
    if request.method == "POST" and form.is_valid():
        data = {
            k: form.cleaned_data[k]
            for k in ("name", "kind", "severity", "segment", "cooldown_days", "auto_close", "is_active")
        }
        team = form.cleaned_data.get("team")
        try:
            if "backtest" in request.POST:
                choice = BacktestForm(request.POST)
                period, horizon = (
                    (choice.cleaned_data["period"], choice.cleaned_data["horizon"] or backtest.DEFAULT_HORIZON_DAYS)
                    if choice.is_valid()
                    else (90, backtest.DEFAULT_HORIZON_DAYS)
                )
                # In the background, like a saved rule's: the page polls the job's progress.
                job = flag_services.backtest_job_start(
                    by=user,
                    draft={
                        "kind": data["kind"],
                        "params": form.params(),
                        "cooldown_days": data["cooldown_days"],
                        "auto_close": data["auto_close"],
                        "segment": data["segment"],
                        "team_id": team.pk if team else None,
                    },
                    days=period,
                    horizon_days=horizon,
                    today=timezone.localdate(),
                )
                job.refresh_from_db()
            elif rule is None:
                if not rule_can_create(user=user, team_id=team.pk if team else None):
                    raise PermissionDenied
                rule = flag_services.rule_create(
                    by=user, params=form.params(), team_id=team.pk if team else None, **data
                )
                messages.success(request, f"Rule “{rule.name}” created; it runs in the next morning evaluation.")
                return redirect("flags:rules")
            else:
                flag_services.rule_update(
                    rule=rule,
                    by=user,
                    expected_version=form.cleaned_data.get("version"),
                    params=form.params(),
                    team_id=team.pk if team else None,
                    **data,
                )
                messages.success(request, "Rule saved.")
                return redirect("flags:rules")
        except rules.RuleError as exc:
            form.add_error(None, str(exc))
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
    return render(
        request,
        "flags/rule_form.html",
        {
            "form": form,
            "rule": rule,
            "job": job,
            "param_fields": sorted({n for names in PARAM_FIELDS.values() for n in names}),
            "can_save": rule is None or rule_can_edit(user=user, rule=rule),
            "dismissals": flag_selectors.dismissals(rule=rule) if rule else [],
            "backtest_form": BacktestForm(request.POST or None),
        },
    )


@login_required
def rule_backtest(request: HttpRequest, pk: int) -> HttpResponse:
    """Back-test a saved rule (read-only: anyone who can see the rule). It runs in the background (a year over many
    clients takes a while): the page queues a job and polls its progress."""
    rule = rule_get_for_user(user=request.user, pk=pk)
    form = BacktestForm(request.GET or None)
    valid = form.is_valid()
    days = form.cleaned_data["period"] if valid else 90
    horizon = (form.cleaned_data.get("horizon") if valid else None) or backtest.DEFAULT_HORIZON_DAYS
    try:
        evaluation.rule_spec(rule, kpi_selectors.metric_metadata())
    except rules.RuleError as exc:
        messages.error(request, _("This rule cannot run: %(error)s") % {"error": exc})
        return redirect("flags:rules")
    job = flag_services.backtest_job_start(
        by=request.user, rule=rule, days=days, horizon_days=horizon, today=timezone.localdate()
    )
    job.refresh_from_db()
    return render(request, "flags/rule_backtest.html", {"rule": rule, "job": job, "form": form})


@login_required
def backtest_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress (htmx polls it) or, once done, its figures."""
    job = flag_selectors.backtest_job_for_user(user=request.user, pk=pk)
    return render(request, "flags/_backtest_job.html", {"job": job})


# --- runs --------------------------------------------------------------------


@login_required
def evaluation_list(request: HttpRequest) -> HttpResponse:
    if not user_rules.can_manage_rules(request.user):
        raise PermissionDenied
    page = Paginator(flag_selectors.evaluation_runs(), 30).get_page(request.GET.get("page"))
    overview = flag_selectors.evaluation_overview(runs=list(page.object_list), now=timezone.now())
    return render(request, "flags/evaluation_list.html", {"page": page, **overview})
