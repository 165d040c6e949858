"""Interaction and follow-up pages. Thin: forms validate, services write, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from clients.permissions import client_can_edit, client_get_for_user
from clients.selectors import clients_selected
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from core.forms import add_service_error, is_htmx, service_error_text
from core.redirects import safe_next_url
from interactions import selectors, services
from interactions.forms import (
    BulkFollowUpForm,
    CancelForm,
    FollowUpFilterForm,
    FollowUpForm,
    InteractionForm,
    RescheduleForm,
)
from interactions.models import FollowUpStatus
from interactions.permissions import (
    followup_can_edit,
    followup_get_for_user,
    interaction_can_edit,
    interaction_get_for_user,
)
from users import permissions as rules

# --- interactions ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def interaction_log(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The quick log form: opens in place on the client page (htmx) or as a page of its own."""
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    form = InteractionForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            interaction, followup = services.interaction_log_with_followup(
                client=client, by=request.user, followup=form.followup_data(), **form.interaction_data()
            )
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            message = f"{interaction.get_kind_display()} logged" + (" with its follow-up." if followup else ".")
            if is_htmx(request):
                response = render(request, "interactions/_logged.html", {"client": client, "message": message})
                # A logged contact may close flags at once (flags re-evaluates the contact rules): both refresh.
                response["HX-Trigger"] = "timelineChanged, flagsChanged"
                return response
            messages.success(request, message)
            return redirect("clients:detail", pk=client.pk)
    template = "interactions/_log_form.html" if is_htmx(request) else "interactions/log_page.html"
    return render(request, template, {"form": form, "client": client})


@login_required
@require_http_methods(["GET", "POST"])
def interaction_edit(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = interaction_get_for_user(user=request.user, pk=pk)
    client = interaction.client
    can_edit = interaction_can_edit(user=request.user, interaction=interaction)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = InteractionForm(request.POST or None, instance=interaction, client=client, with_followup=False)
    if request.method == "POST" and form.is_valid():
        data = form.interaction_data()
        contacts = data.pop("contacts")
        try:
            services.interaction_update(
                interaction=interaction,
                by=request.user,
                expected_version=form.cleaned_data.get("version"),
                contacts=contacts,
                **data,
            )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Interaction saved."))
            return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "interactions/interaction_edit.html",
        {"form": form, "client": client, "interaction": interaction, "can_edit": can_edit},
    )


@login_required
@require_http_methods(["GET", "POST"])
def interaction_delete(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = interaction_get_for_user(user=request.user, pk=pk)
    if not interaction_can_edit(user=request.user, interaction=interaction):
        raise PermissionDenied
    if request.method == "POST":
        services.interaction_delete(interaction=interaction, by=request.user)
        messages.success(request, _("Interaction deleted. It stays in the audit history."))
        return redirect("clients:detail", pk=interaction.client_id)
    return render(request, "interactions/interaction_confirm_delete.html", {"interaction": interaction})


# --- follow-ups --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def followup_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    interaction = None
    interaction_id = request.GET.get("interaction") or request.POST.get("interaction")
    if interaction_id and str(interaction_id).isdigit():
        interaction = interaction_get_for_user(user=request.user, pk=int(interaction_id))
    initial = {}
    if interaction and interaction.next_step:
        initial["title"] = interaction.next_step
    form = FollowUpForm(request.POST or None, client=client, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_create(client=client, by=request.user, interaction=interaction, **form.cleaned_data)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Follow-up created."))
            return redirect("clients:detail", pk=client.pk)
    return render(
        request, "interactions/followup_form.html", {"form": form, "client": client, "interaction": interaction}
    )


@login_required
def followup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    followup = followup_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "interactions/followup_detail.html",
        {
            "followup": followup,
            "changes": followup.due_changes.select_related("changed_by"),
            "can_edit": followup_can_edit(user=request.user, followup=followup),
        },
    )


@login_required
@require_POST
def followup_done(request: HttpRequest, pk: int) -> HttpResponse:
    followup = followup_get_for_user(user=request.user, pk=pk)
    try:
        services.followup_complete(followup=followup, by=request.user)
    except NotAllowedError:
        raise PermissionDenied from None  # visible but not theirs to close: 403
    except ApplicationError as exc:
        if is_htmx(request):
            return HttpResponse(exc.message, status=409)
        messages.error(request, exc.message)
    else:
        if is_htmx(request):
            followup.refresh_from_db()
            return render(request, "interactions/_followup_row.html", {"followup": followup, "today": None})
        messages.success(request, _("“%(title)s” done.") % {"title": followup.title})
    return redirect(safe_next_url(request, "interactions:my_followups"))


@login_required
@require_http_methods(["GET", "POST"])
def followup_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    followup = followup_get_for_user(user=request.user, pk=pk)
    if not followup_can_edit(user=request.user, followup=followup):
        raise PermissionDenied
    form = RescheduleForm(
        request.POST or None,
        initial={"due_date": followup.due_date, "promised_date": followup.promised_date, "version": followup.version},
    )
    if not followup.is_commitment:
        del form.fields["promised_date"]
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_reschedule(
                followup=followup,
                by=request.user,
                due_date=form.cleaned_data["due_date"],
                promised_date=form.cleaned_data.get("promised_date"),
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Rescheduled; the earlier date is kept in its history."))
            return redirect("interactions:followup_detail", pk=followup.pk)
    return render(request, "interactions/followup_reschedule.html", {"form": form, "followup": followup})


@login_required
@require_http_methods(["GET", "POST"])
def followup_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    followup = followup_get_for_user(user=request.user, pk=pk)
    if not followup_can_edit(user=request.user, followup=followup):
        raise PermissionDenied
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_cancel(followup=followup, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Follow-up cancelled."))
            return redirect("interactions:followup_detail", pk=followup.pk)
    return render(request, "interactions/followup_cancel.html", {"form": form, "followup": followup})


@login_required
@require_http_methods(["GET", "POST"])
def my_followups(request: HttpRequest) -> HttpResponse:
    """Overdue, due today, this week, later; tick several and mark them done at once."""
    user = request.user
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("followup") if i.isdigit()]
        chosen = [
            f
            for f in selectors.followup_queryset_for_user(user=user).filter(pk__in=ids, status=FollowUpStatus.OPEN)
            if followup_can_edit(user=user, followup=f)
        ]
        if not chosen:
            messages.warning(request, _("Tick at least one open follow-up first."))
        else:
            done = services.followups_complete_many(followups=chosen, by=user)
            messages.success(
                request,
                ngettext("%(count)s follow-up marked done.", "%(count)s follow-ups marked done.", done)
                % {"count": done},
            )
        return redirect(request.get_full_path())
    filters = FollowUpFilterForm(request.GET or None, user=user)
    owner = filters.cleaned_data.get("owner") if filters.is_valid() else None
    commitments_only = filters.cleaned_data.get("commitments", False) if filters.is_valid() else False
    buckets = selectors.followup_buckets(user=user, owner=owner, commitments_only=commitments_only)
    return render(
        request,
        "interactions/my_followups.html",
        {
            "buckets": buckets,
            "filters": filters,
            "owner": owner or user,
            "show_owner_filter": rules.oversees_portfolio(user),
        },
    )


@login_required
@require_POST
def followups_bulk_create(request: HttpRequest) -> HttpResponse:
    """From the client list: the same follow-up on every selected client, owned by each client's AM."""
    back = safe_next_url(request, fallback="clients:mine")
    chosen = clients_selected(user=request.user, ids=request.POST.getlist("ids"))
    form = BulkFollowUpForm(request.POST)
    if not chosen:
        messages.error(request, _("Select at least one client first."))
        return redirect(back)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect(back)
    try:
        created = services.followups_create_many(
            clients=chosen,
            by=request.user,
            title=form.cleaned_data["followup_title"],
            due_date=form.cleaned_data["followup_due"],
        )
    except (ApplicationError, ValidationError) as exc:
        messages.error(request, _("No follow-up was added: %(reason)s") % {"reason": service_error_text(exc)})
        return redirect(back)
    messages.success(
        request,
        ngettext("Follow-up added to %(count)d client.", "Follow-up added to %(count)d clients.", len(created))
        % {"count": len(created)},
    )
    return redirect(back)
