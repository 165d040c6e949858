"""Review and account-plan pages. Thin: forms validate, services write, selectors read."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from clients.permissions import client_can_edit, client_get_for_user
from core.dates import Quarter, recent_quarters
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from core.formats import format_day
from core.forms import add_service_error
from reviews import exports, plan_items, selectors, services
from reviews.forms import (
    PLAN_SECTIONS,
    AccountPlanForm,
    ActionItemForm,
    ActionItemFormSet,
    ReviewOutcomeForm,
    ReviewPlanForm,
    plan_formsets,
    plan_items_from,
    team_members,
)
from reviews.models import AccountReview, ReviewActionItem, ReviewStatus
from reviews.permissions import review_can_edit
from reviews.snapshot import COMMITMENT_OUTCOMES, TREND_ARROWS
from users import permissions as rules
from users.models import User

OVERVIEW_PAGE_SIZE = 100


def _review_or_404(request: HttpRequest, pk: int) -> AccountReview:
    review = selectors.review_for_page(user=request.user, pk=pk)
    if review is None:
        raise Http404(_("No such review."))
    return review


def _require_edit(request: HttpRequest, review: AccountReview) -> None:
    if not review_can_edit(user=request.user, review=review):
        raise PermissionDenied


# --- quarter overview ----------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Per quarter: which clients have their review planned, prepared, held, closed, or none yet."""
    user = request.user
    today = timezone.localdate()
    try:
        quarter = Quarter.parse(request.GET["quarter"]) if request.GET.get("quarter") else Quarter.containing(today)
    except ValueError:
        quarter = Quarter.containing(today)
    show_owner = rules.oversees_portfolio(user)
    owners = (
        list(User.objects.filter(rules.assignable_owners_q(user)).order_by("first_name", "username"))
        if show_owner
        else []
    )
    owner = None
    if show_owner and request.GET.get("owner", "").isdigit():
        owner = next((o for o in owners if o.pk == int(request.GET["owner"])), None)
    status = request.GET.get("status", "")
    if status not in selectors.OVERVIEW_STATUSES:
        status = ""
    key_only = request.GET.get("key") == "1"
    view = selectors.quarter_overview(
        user=user, quarter=quarter, owner=owner, status=status, key_accounts_only=key_only
    )
    page = Paginator(view.clients, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    quarters = recent_quarters(today)
    if quarter not in quarters:
        quarters.append(quarter)
    return render(
        request,
        "reviews/overview.html",
        {
            "view": view,
            "page": page,
            "rows": [(client, client_can_edit(user=user, client=client)) for client in page.object_list],
            "quarter": quarter,
            "quarters": quarters,
            "current_quarter": Quarter.containing(today),
            "statuses": [
                (s, ReviewStatus(s).label if s in ReviewStatus.values else pgettext("review status", "Missing"))
                for s in selectors.OVERVIEW_STATUSES
            ],
            "status": status,
            "owners": owners,
            "owner": owner,
            "key_only": key_only,
            "today": today,
        },
    )


# --- planning ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def review_plan(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    initial = {"period": request.GET.get("quarter", "")}
    if client.owner_id:
        initial["colleagues"] = [client.owner_id]
    form = ReviewPlanForm(request.POST or None, client=client, initial=initial)
    if request.method == "POST" and form.is_valid():
        period = form.cleaned_data["period"]
        try:
            review = services.review_plan(
                client=client,
                by=request.user,
                year=period.year,
                quarter=period.quarter,
                planned_on=form.cleaned_data["planned_on"],
                contacts=form.cleaned_data["contacts"],
                colleagues=form.cleaned_data["colleagues"],
                agenda=form.cleaned_data["agenda"],
            )
        except (ApplicationError, ValidationError) as exc:
            if isinstance(exc, ApplicationError) and exc.field == "quarter":
                form.add_error("period", exc.message)
            else:
                add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(quarter)s review planned for %(day)s.")
                % {"quarter": review.label, "day": format_day(review.planned_on)},
            )
            return redirect("reviews:detail", pk=review.pk)
    return render(request, "reviews/review_plan.html", {"form": form, "client": client, "review": None})


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    _require_edit(request, review)
    form = ReviewPlanForm(request.POST or None, instance=review, client=review.client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.review_plan_update(
                review=review,
                by=request.user,
                expected_version=data.get("version"),
                planned_on=data["planned_on"],
                agenda=data["agenda"],
                contacts=data["contacts"],
                colleagues=data["colleagues"],
            )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Review plan saved."))
            return redirect("reviews:detail", pk=review.pk)
    return render(request, "reviews/review_plan.html", {"form": form, "client": review.client, "review": review})


# --- detail and state changes --------------------------------------------------------------------


def _detail_context(request: HttpRequest, review: AccountReview) -> dict:
    client = review.client
    plan = selectors.plan_for_client(client=client)
    can_edit = review_can_edit(user=request.user, review=review)
    items = list(review.action_items.all())
    editing_items = can_edit and review.status == ReviewStatus.HELD
    owners = team_members(client) if editing_items else []
    return {
        "review": review,
        "client": client,
        "snapshot": review.snapshot or {},
        "chart_data": selectors.review_chart_data(review),
        "items": items,
        "unassigned": [i for i in items if not i.is_assigned],
        "assign_forms": {
            i.pk: ActionItemForm(
                client=client,
                owners=owners,
                with_title=False,
                prefix=f"assign-{i.pk}",
                initial=_item_initial(i),
                row_title=i.title,
            )
            for i in items
            if not i.is_assigned
        }
        if editing_items
        else {},
        "add_form": ActionItemForm(client=client, owners=owners, prefix="add", row_title=_("new action item"))
        if editing_items
        else None,
        "plan": plan,
        "comparison": selectors.plan_changes_since_review(client=client, plan=plan, review=review),
        "can_edit": can_edit,
        "arrows": TREND_ARROWS,
        "outcomes": COMMITMENT_OUTCOMES,
        "steps": ReviewStatus.choices,
        "today": timezone.localdate(),
    }


def _item_initial(item: ReviewActionItem) -> dict:
    return {
        "owner": item.owner_id or item.review.client.owner_id,
        "due_date": item.due_date,
        "is_commitment": item.is_commitment,
        "promised_date": item.promised_date,
    }


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    return render(request, "reviews/review_detail.html", _detail_context(request, review))


@login_required
@require_http_methods(["GET", "POST"])
def review_prepare(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what the snapshot will hold (computed now, not saved). POST: freeze it."""
    review = _review_or_404(request, pk)
    _require_edit(request, review)
    if request.method == "POST":
        try:
            services.review_prepare(
                review=review,
                by=request.user,
                expected_version=_int(request.POST.get("version")),
                refresh=request.POST.get("refresh") == "1",
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Prepared: the quarter's data is frozen into the review."))
            return redirect("reviews:detail", pk=review.pk)
    preview, problem = None, ""
    if review.status in {ReviewStatus.PLANNED, ReviewStatus.PREPARED}:
        try:
            preview = selectors.review_snapshot(
                client=review.client, quarter=review.period, today=timezone.localdate(), taken_by=request.user
            )
        except ValueError as exc:
            problem = str(exc)
    return render(
        request,
        "reviews/review_prepare.html",
        {
            "review": review,
            "client": review.client,
            "snapshot": preview or {},
            "problem": problem,
            "arrows": TREND_ARROWS,
            "outcomes": COMMITMENT_OUTCOMES,
        },
    )


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def review_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the meeting: outcome and action items (prepared -> held); for a held review, edit the outcome."""
    review = _review_or_404(request, pk)
    _require_edit(request, review)
    if review.status not in {ReviewStatus.PREPARED, ReviewStatus.HELD}:
        messages.error(request, services.transition_error(review, "hold").message)
        return redirect("reviews:detail", pk=review.pk)
    holding = review.status == ReviewStatus.PREPARED
    client = review.client
    data = request.POST or None
    form = ReviewOutcomeForm(data, instance=review)
    items = (
        ActionItemFormSet(data, prefix="items", form_kwargs={"client": client, "owners": team_members(client)})
        if holding
        else None
    )
    if request.method == "POST" and form.is_valid() and (items is None or items.is_valid()):
        try:
            if holding:
                services.review_hold(
                    review=review,
                    by=request.user,
                    expected_version=form.cleaned_data.get("version"),
                    action_items=items.items(),
                    **form.outcome(),
                )
            else:
                services.review_outcome_update(
                    review=review, by=request.user, expected_version=form.cleaned_data.get("version"), **form.outcome()
                )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            if isinstance(exc, ApplicationError) and exc.field == "action_items" and items is not None:
                items._non_form_errors = items.error_class([exc.message])
            else:
                add_service_error(form, exc)
        else:
            messages.success(request, _("Review held: outcome recorded.") if holding else _("Outcome saved."))
            return redirect("reviews:detail", pk=review.pk)
    return render(
        request,
        "reviews/review_hold.html",
        {"review": review, "client": client, "form": form, "items": items, "holding": holding},
    )


@login_required
@require_POST
def action_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    _require_edit(request, review)
    form = ActionItemForm(request.POST, client=review.client, prefix="add")
    if form.is_valid():
        try:
            services.review_action_item_add(review=review, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Action item added."))
    else:
        messages.error(request, _errors_text(form))
    return redirect("reviews:detail", pk=review.pk)


@login_required
@require_POST
def action_item_assign(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    _require_edit(request, review)
    item = next((i for i in review.action_items.all() if i.pk == item_pk), None)
    if item is None:
        raise Http404(_("No such action item."))
    form = ActionItemForm(request.POST, client=review.client, with_title=False, prefix=f"assign-{item.pk}")
    if form.is_valid():
        try:
            services.review_action_item_assign(item=item, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("“%(title)s” assigned; it is now a follow-up.") % {"title": item.title})
    else:
        messages.error(request, _errors_text(form))
    return redirect("reviews:detail", pk=review.pk)


def _errors_text(form) -> str:
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)


@login_required
@require_http_methods(["GET", "POST"])
def review_close(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    _require_edit(request, review)
    if request.method == "POST":
        try:
            services.review_close(review=review, by=request.user, expected_version=_int(request.POST.get("version")))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(quarter)s review closed.") % {"quarter": review.label})
            return redirect("reviews:detail", pk=review.pk)
    items = list(review.action_items.all())
    return render(
        request,
        "reviews/review_close.html",
        {
            "review": review,
            "client": review.client,
            "items": items,
            "unassigned": [i for i in items if not i.is_assigned],
        },
    )


# --- print and export ----------------------------------------------------------------------------


@login_required
def review_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The page sent to the client: internal figures (health score, overdue commitments) only when ticked."""
    review = _review_or_404(request, pk)
    plan = selectors.plan_for_client(client=review.client)
    view = selectors.review_print_view(
        review, include_health=request.GET.get("health") == "1", include_overdue=request.GET.get("overdue") == "1"
    )
    return render(
        request,
        "reviews/review_print.html",
        {
            "review": review,
            "client": review.client,
            "snapshot": review.snapshot or {},
            "view": view,
            "chart_data": view.chart_data,
            "items": list(review.action_items.all()),
            "plan": plan,
            "objective_statuses": plan_items.OBJECTIVE_STATUSES,
            "arrows": TREND_ARROWS,
            "outcomes": COMMITMENT_OUTCOMES,
        },
    )


@login_required
def review_export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name(review, "csv")}"'
    exports.write_csv(review, response)
    return response


@login_required
def review_export_json(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    body = json.dumps(exports.review_data(review), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.file_name(review, "json")}"'
    return response


# --- account plan --------------------------------------------------------------------------------


@login_required
def account_plan(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    plan = selectors.plan_for_client(client=client)
    return render(
        request,
        "reviews/plan_detail.html",
        {
            "client": client,
            "plan": plan,
            "comparison": selectors.plan_changes_since_review(client=client, plan=plan),
            "can_edit": client_can_edit(user=request.user, client=client),
            "labels": {
                "objective_statuses": plan_items.OBJECTIVE_STATUSES,
                "opportunity_kinds": plan_items.OPPORTUNITY_KINDS,
                "opportunity_stages": plan_items.OPPORTUNITY_STAGES,
                "levels": plan_items.LEVELS,
            },
            "stale": selectors.plan_is_stale(plan, today=timezone.localdate()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_plan_edit(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    plan = selectors.plan_for_client(client=client)
    data = request.POST or None
    form = AccountPlanForm(data, instance=plan, initial=None if plan else {"currency": client.currency})
    formsets = plan_formsets(data, plan=plan, client=client)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.account_plan_save(
                client=client,
                by=request.user,
                expected_version=form.cleaned_data.get("version") if plan else None,
                **fields,
                **plan_items_from(formsets),
            )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            if isinstance(exc, ApplicationError) and exc.field in formsets:
                formsets[exc.field]._non_form_errors = formsets[exc.field].error_class([exc.message])
            else:
                add_service_error(form, exc)
        else:
            messages.success(request, _("Account plan saved."))
            if "more_rows" in request.POST:
                return redirect("reviews:account_plan_edit", client_pk=client.pk)
            return redirect("reviews:account_plan", client_pk=client.pk)
    return render(
        request,
        "reviews/plan_edit.html",
        {
            "client": client,
            "plan": plan,
            "form": form,
            "formsets": [(name, title, formsets[name]) for name, title, _formset in PLAN_SECTIONS],
        },
    )


@login_required
@require_POST
def account_plan_revisit(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    plan = selectors.plan_for_client(client=client)
    if plan is None:
        raise Http404(_("No account plan yet."))
    try:
        services.account_plan_revisit(plan=plan, by=request.user, expected_version=_int(request.POST.get("version")))
    except NotAllowedError:
        raise PermissionDenied from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as revisited today."))
    return redirect("reviews:account_plan", client_pk=client.pk)


@login_required
def account_plan_history(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    plan = selectors.plan_for_client(client=client)
    if plan is None:
        raise Http404(_("No account plan yet."))
    page = selectors.plan_history(plan=plan, page=_int(request.GET.get("page")) or 1)
    return render(request, "reviews/plan_history.html", {"client": client, "plan": plan, "history": page})
