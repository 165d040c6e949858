"""The survey pages: a client's results (send, schedule, remind), one survey, the portfolio's results, and the page
a client's contact answers from the link in their e-mail (no login: the token in the URL)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import Client
from clients.permissions import client_can_edit, client_get_for_user
from core.dates import Quarter, recent_quarters
from core.errors import ApplicationError, NotAllowedError
from core.forms import add_service_error
from core.public_pages import private, speaking, too_many_requests
from surveys import selectors, services
from surveys.forms import AnswerForm, ScheduleForm, SendForm
from surveys.models import SCORE_RANGE, SurveyKind
from surveys.permissions import schedule_get_for_user, survey_get_for_user
from surveys.services import InvitationState
from users import permissions as rules
from users.models import User

PAGE_SIZE = 25


def _quarter(request: HttpRequest) -> Quarter:
    try:
        return Quarter.parse(request.GET["quarter"]) if request.GET.get("quarter") else _current()
    except ValueError:
        return _current()


def _current() -> Quarter:
    return Quarter.containing(timezone.localdate())


def _quarters(quarter: Quarter) -> list[Quarter]:
    quarters = recent_quarters(timezone.localdate(), back=6, ahead=0)
    return quarters if quarter in quarters else [*quarters, quarter]


def _contacts(client: Client):
    return list(client.contacts.filter(is_active=True).order_by("last_name", "first_name"))


@login_required
@require_http_methods(["GET", "POST"])
def client_surveys(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The client's NPS and CSAT over a quarter, its answers, its surveys; send one now or set a schedule."""
    client = client_get_for_user(user=request.user, pk=client_pk)
    can_edit = client_can_edit(user=request.user, client=client) and client.archived_at is None
    contacts = _contacts(client)
    send_form = SendForm(contacts=contacts, prefix="send")
    schedule_form = ScheduleForm(contacts=contacts, prefix="plan")
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied  # visible, but not theirs to survey: 403
        action = request.POST.get("action")
        if action == "send":
            send_form = SendForm(request.POST, contacts=contacts, prefix="send")
            if send_form.is_valid():
                try:
                    sent = services.survey_send(
                        client=client, kind=send_form.cleaned_data["kind"], contacts=send_form.chosen_contacts(),
                        by=request.user, open_days=send_form.cleaned_data["open_days"],
                    )  # fmt: skip
                except ApplicationError as exc:
                    add_service_error(send_form, exc)
                else:
                    messages.success(
                        request,
                        _("Survey sent to %(count)s contacts.") % {"count": len(sent.tokens)},
                    )
                    return redirect("surveys:detail", pk=sent.survey.pk)
        elif action == "schedule":
            schedule_form = ScheduleForm(request.POST, contacts=contacts, prefix="plan")
            if schedule_form.is_valid():
                data = schedule_form.cleaned_data
                try:
                    services.survey_schedule_save(
                        client=client, kind=data["kind"], contacts=schedule_form.chosen_contacts(),
                        every_months=data["every_months"], next_on=data["next_on"], is_active=data["is_active"],
                        by=request.user,
                    )  # fmt: skip
                except ApplicationError as exc:
                    add_service_error(schedule_form, exc)
                else:
                    messages.success(request, _("Schedule saved."))
                    return redirect("surveys:client", client_pk=client.pk)
    quarter = _quarter(request)
    kind = request.GET.get("kind", "")
    group = request.GET.get("group", "")
    ordering = request.GET.get("ordering", "-answered_at")
    answers = selectors.client_answers(client=client, quarter=quarter, kind=kind, group=group, ordering=ordering)
    page = Paginator(answers, PAGE_SIZE).get_page(request.GET.get("page"))
    surveys = Paginator(selectors.client_surveys(client=client), 10).get_page(request.GET.get("surveys"))
    context = {
        "client": client,
        "can_edit": can_edit,
        "results": selectors.client_results(client=client, quarter=quarter),
        "quarter": quarter,
        "quarters": _quarters(quarter),
        "page": page,
        "surveys": surveys,
        "schedules": list(client.survey_schedules.prefetch_related("contacts").order_by("kind")),
        "send_form": send_form,
        "schedule_form": schedule_form,
        "kinds": SurveyKind.choices,
        "kind": kind if kind in SurveyKind.values else "",
        "group": group if group in selectors.NPS_GROUPS else "",
        "filtered": bool(kind or group),
        "now": timezone.now(),
    }
    return render(request, "surveys/client.html", context)


@login_required
@require_POST
def schedule_stop(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = schedule_get_for_user(user=request.user, pk=pk)
    try:
        services.survey_schedule_stop(schedule=schedule, by=request.user)
    except NotAllowedError:
        raise PermissionDenied from None
    messages.success(request, _("Schedule paused: no more surveys will be sent by it until you save it again."))
    return redirect("surveys:client", client_pk=schedule.client_id)


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_get_for_user(user=request.user, pk=pk)
    invitations = selectors.survey_invitations(survey=survey)
    answered = sum(1 for i in invitations if i.answered_at)
    context = {
        "survey": survey,
        "client": survey.client,
        "can_edit": client_can_edit(user=request.user, client=survey.client),
        "invitations": invitations,
        "answered": answered,
        "rate": answered / len(invitations) if invitations else None,
        "is_open": survey.is_open_at(timezone.now()),
        "question": services.survey_question(survey.kind),
    }
    return render(request, "surveys/detail.html", context)


@login_required
@require_POST
def survey_remind(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_get_for_user(user=request.user, pk=pk)
    try:
        sent = services.survey_remind(survey=survey, by=request.user)
    except NotAllowedError:
        raise PermissionDenied from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if sent:
            messages.success(request, _("Reminder sent to %(count)s contacts.") % {"count": sent})
        else:
            messages.info(request, _("Nobody to remind: everyone answered or was reminded in the last day."))
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@require_POST
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    survey = survey_get_for_user(user=request.user, pk=pk)
    try:
        services.survey_close(survey=survey, by=request.user)
    except NotAllowedError:
        raise PermissionDenied from None
    messages.success(request, _("Survey closed: its links no longer take answers."))
    return redirect("surveys:detail", pk=survey.pk)


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    """NPS, CSAT and response rates of every client the user may see that was surveyed in the quarter."""
    user = request.user
    quarter = _quarter(request)
    show_owner = rules.oversees_portfolio(user)
    owners = (
        list(User.objects.filter(rules.assignable_owners_q(user)).order_by("first_name", "username"))
        if show_owner
        else []
    )
    owner = None
    if show_owner and request.GET.get("owner", "").isdigit():
        owner = next((o for o in owners if o.pk == int(request.GET["owner"])), None)
    search = request.GET.get("q", "").strip()[:100]
    detractors = request.GET.get("detractors") == "1"
    ordering = request.GET.get("ordering", "name")
    view = selectors.portfolio_results(
        user=user, quarter=quarter, owner_id=owner.pk if owner else None, search=search,
        detractors_only=detractors, ordering=ordering,
    )  # fmt: skip
    page = Paginator(view.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "view": view,
        "page": page,
        "quarter": quarter,
        "quarters": _quarters(quarter),
        "current_quarter": _current(),
        "owners": owners,
        "owner": owner,
        "q": search,
        "detractors": detractors,
        "filtered": bool(owner or search or detractors),
    }
    return render(request, "surveys/portfolio.html", context)


# --- the contact's answer page --------------------------------------------------------------------------------------


def _refused(request: HttpRequest, state: str, status: int) -> HttpResponse:
    return private(render(request, "surveys/refused.html", {"state": state}, status=status))


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    if too_many_requests(request, scope="surveys"):
        return _refused(request, "busy", 429)
    state, invitation = services.survey_invitation_find(token=token)
    if state == InvitationState.UNKNOWN:
        return _refused(request, state, 404)
    with speaking(invitation.contact.language):  # the contact's own language; blank: as their browser asks
        response = _answer_page(request, state, invitation)
        response["Content-Language"] = translation.get_language()
        return response


def _answer_page(request: HttpRequest, state: str, invitation) -> HttpResponse:
    survey = invitation.survey
    low, high = SCORE_RANGE[survey.kind]
    context = {
        "survey": survey, "invitation": invitation, "contact": invitation.contact, "low": low, "high": high,
        "question": services.survey_question(survey.kind), "owner": survey.client.owner,
    }  # fmt: skip
    if state == InvitationState.CLOSED:
        return _refused(request, state, 410)
    if state == InvitationState.ANSWERED:
        status = 409 if request.method == "POST" else 200
        context["answer"] = getattr(invitation, "answer", None)
        return private(render(request, "surveys/answered.html", context, status=status))
    if request.method == "POST":
        form = AnswerForm(request.POST, low=low, high=high)
        if form.is_valid():
            try:
                services.survey_answer(
                    invitation=invitation, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
                )
            except services.AlreadyAnswered:
                invitation.refresh_from_db()
                context["answer"] = getattr(invitation, "answer", None)
                return private(render(request, "surveys/answered.html", context, status=409))
            except services.SurveyClosed:
                return _refused(request, InvitationState.CLOSED, 410)
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                return private(redirect(request.path))
    else:
        chosen = request.GET.get("score", "")
        initial = {"score": int(chosen)} if chosen.isdigit() and low <= int(chosen) <= high else {}
        form = AnswerForm(initial=initial, low=low, high=high)
    context["form"] = form
    return private(render(request, "surveys/answer.html", context, status=400 if form.errors else 200))
