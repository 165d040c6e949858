"""Client, contact, handoff and import pages, and the client page itself ("account 360").

Thin: forms validate, services write, selectors read; other apps add their panels to the client page
through ``clients.panels``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from clients import importers, panels, selectors, services
from clients.filters import ClientFilter
from clients.forms import (
    ClientForm,
    ContactForm,
    HandoffAcceptForm,
    HandoffForm,
    HandoffReturnForm,
    SalesImportForm,
    StatusChangeForm,
)
from clients.history import record_changes
from clients.models import ClientStatus, HandoffStatus
from clients.permissions import (
    client_can_edit,
    client_can_reassign,
    client_get_for_user,
    contact_get_for_user,
    handoff_can_decide,
    handoff_can_edit,
    handoff_get_for_user,
)
from clients.timeline import KIND_LABELS, timeline_page
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from core.forms import add_service_error, service_error_text
from core.redirects import safe_next_url
from users import permissions as rules

PAGE_SIZE = 25


def _versioned(form) -> int | None:
    return form.cleaned_data.get("version")


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- clients -----------------------------------------------------------------------------------


COLUMNS_SESSION_KEY = "client_list_columns"


def _chosen_columns(request: HttpRequest) -> list[str]:
    """The columns asked for (``?cols=``), remembered for the next visit; else the ones chosen last time."""
    if "cols" in request.GET:
        chosen = panels.chosen_column_keys(request.GET.getlist("cols"))
        if request.session.get(COLUMNS_SESSION_KEY) != chosen:
            request.session[COLUMNS_SESSION_KEY] = chosen  # written only on a change: a session write is 2 queries
        return chosen
    return panels.chosen_column_keys(request.session.get(COLUMNS_SESSION_KEY))


@login_required
def client_list(request: HttpRequest, scope: str = "mine") -> HttpResponse:
    today = timezone.localdate()
    base = selectors.client_queryset_for_user(user=request.user, scope=scope)
    client_filter = ClientFilter(request.GET, queryset=base, request=request)
    # Columns (the client's own and those other apps contribute: health, trend, next follow-up, ARR converted),
    # with their filters (health band).
    queryset, columns = panels.apply_list_columns(
        client_filter.qs, params=request.GET, today=today, chosen=_chosen_columns(request)
    )
    if not client_filter.form.cleaned_data.get("ordering"):
        queryset = queryset.order_by("name", "pk")
    query = request.GET.copy()
    query.pop("page", None)
    page = _page(request, queryset)
    restorable = {c.pk for c in page.object_list if c.archived_at and client_can_edit(user=request.user, client=c)}
    saved_views = list(selectors.saved_views_for_user(user=request.user))
    current_query = services.saved_view_query(query.urlencode())
    return render(
        request,
        "clients/client_list.html",
        {
            "scope": scope,
            "filter": client_filter,
            "page": page,
            "querystring": query.urlencode(),
            "can_create": rules.can_add_clients(request.user),
            "today": today,
            "list_actions": panels.list_actions(),
            "bulk_actions": panels.bulk_actions(),
            "columns": columns,
            "all_columns": panels.list_columns(),
            "restorable": restorable,
            "saved_views": saved_views,
            "current_view": next((v for v in saved_views if v.scope == scope and v.query == current_query), None),
            "can_reassign": rules.can_decide_for_others(request.user),
            "owners": selectors.owners_for_user(user=request.user).order_by("team__name", "first_name", "last_name")
            if rules.can_decide_for_others(request.user)
            else [],
            "base_currency": settings.BASE_CURRENCY,
        },
    )


@login_required
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Save the list as it is (its filters, sort and columns) under a name; pinned views stay beside the list."""
    scope = request.POST.get("scope", "mine")
    back = reverse("clients:team" if scope == "team" else "clients:mine")
    query = request.POST.get("query", "")
    try:
        view, created = services.saved_view_save(
            by=request.user,
            name=request.POST.get("name", ""),
            scope=scope,
            query=query,
            pinned=request.POST.get("pinned") == "on",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(f"{back}?{query}" if query else back)
    if created:
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    else:
        messages.success(request, _("View “%(name)s” replaced with these filters.") % {"name": view.name})
    return redirect(_saved_view_url(view))


def _saved_view_url(view) -> str:
    url = reverse("clients:team" if view.scope == "team" else "clients:mine")
    return f"{url}?{view.query}" if view.query else url


@login_required
def saved_view_open(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect(_saved_view_url(selectors.saved_view_get_for_user(user=request.user, pk=pk)))


@login_required
@require_POST
def saved_view_pin(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.saved_view_get_for_user(user=request.user, pk=pk)
    view = services.saved_view_update(view=view, by=request.user, pinned=not view.pinned)
    if view.pinned:
        messages.success(request, _("“%(name)s” pinned beside the list and in the menu.") % {"name": view.name})
    else:
        messages.success(request, _("“%(name)s” unpinned.") % {"name": view.name})
    return redirect(safe_next_url(request, fallback=_saved_view_url(view)))


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = selectors.saved_view_get_for_user(user=request.user, pk=pk)
    services.saved_view_delete(view=view, by=request.user)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect(safe_next_url(request, fallback=reverse("clients:mine")))


def _selection(request: HttpRequest) -> list:
    return selectors.clients_selected(user=request.user, ids=request.POST.getlist("ids"))


def _back_to_list(request: HttpRequest) -> HttpResponse:
    return redirect(safe_next_url(request, fallback=reverse("clients:mine")))


@login_required
@require_POST
def clients_bulk_reassign(request: HttpRequest) -> HttpResponse:
    """Give the selected clients to another AM (team leads in their team, admins anywhere): all or none."""
    if not rules.can_decide_for_others(request.user):
        raise PermissionDenied
    chosen = _selection(request)
    if not chosen:
        messages.error(request, _("Select at least one client first."))
        return _back_to_list(request)
    owner = selectors.owners_for_user(user=request.user).filter(pk=request.POST.get("owner") or 0).first()
    if owner is None:
        messages.error(request, _("Choose the account manager who takes the selected clients."))
        return _back_to_list(request)
    try:
        changed = services.clients_reassign(clients=chosen, by=request.user, owner=owner)
    except (ApplicationError, ValidationError) as exc:
        messages.error(request, _("Nothing was reassigned: %(reason)s") % {"reason": service_error_text(exc)})
        return _back_to_list(request)
    messages.success(
        request,
        ngettext("%(count)d client now belongs to %(owner)s.", "%(count)d clients now belong to %(owner)s.", changed)
        % {"count": changed, "owner": owner},
    )
    return _back_to_list(request)


TIMELINE_PAGE_SIZE = 20


def _timeline_context(request: HttpRequest, client) -> dict:
    kinds = {k for k in request.GET.getlist("kind") if k in KIND_LABELS}
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    page = timeline_page(
        client=client, user=request.user, kinds=kinds or None, page=page_number, size=TIMELINE_PAGE_SIZE
    )
    return {"timeline": page, "kinds": KIND_LABELS, "selected_kinds": kinds, "client": client}


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=pk)
    today = timezone.localdate()
    can_edit = client_can_edit(user=request.user, client=client)
    context = {
        "view": selectors.client_page(client=client, today=today),
        "panels": panels.panels_for(client=client, user=request.user, today=today),
        "client": client,
        "can_edit": can_edit,
        "can_handoff": can_edit and client.status == ClientStatus.PROSPECT and rules.can_create_prospects(request.user),
    }
    context.update(_timeline_context(request, client))
    return render(request, "clients/client_detail.html", context)


@login_required
def client_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline alone, for htmx: filter by kind and page without reloading the client page."""
    client = client_get_for_user(user=request.user, pk=pk)
    return render(request, "clients/_timeline.html", _timeline_context(request, client))


@login_required
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not rules.can_add_clients(user):
        raise PermissionDenied
    form = ClientForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            client = services.client_create(by=user, **data)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Client %(name)s created.") % {"name": client.name})
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "title": _("New client")})


@login_required
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    form = ClientForm(request.POST or None, instance=client, user=request.user)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        if not client_can_reassign(user=request.user, client=client):
            changes.pop("owner", None)
            changes.pop("team", None)
        changes.setdefault("move_flags", True)
        changes.setdefault("move_followups", True)
        try:
            services.client_update(client=client, by=request.user, expected_version=_versioned(form), **changes)
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Client saved."))
            return redirect("clients:detail", pk=client.pk)
    title = _("Edit %(client)s") % {"client": client}
    return render(request, "clients/client_form.html", {"form": form, "client": client, "title": title})


@login_required
@require_http_methods(["GET", "POST"])
def client_archive(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    if request.method == "POST":
        services.client_archive(client=client, by=request.user)
        messages.success(
            request, _("%(name)s archived. It is kept with its history and can be restored.") % {"name": client.name}
        )
        return redirect("clients:mine")
    return render(request, "clients/client_confirm_archive.html", {"client": client})


@login_required
@require_http_methods(["GET", "POST"])
def client_status_change(request: HttpRequest, pk: int) -> HttpResponse:
    """A dated lifecycle step from the client page: new status (or a downgrade), effective date, reason."""
    client = client_get_for_user(user=request.user, pk=pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    today = timezone.localdate()
    form = StatusChangeForm(request.POST or None, can_backdate=request.user.is_admin_role, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.client_status_change(
                client=client,
                by=request.user,
                status=client.status if data["downgraded"] else data["status"],
                effective_on=data["effective_on"],
                reason=data["reason"],
                churn_reason=data["churn_reason"],
                downgraded=data["downgraded"],
                today=today,
            )
        except NotAllowedError as exc:
            form.add_error("effective_on", exc.message)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Status of %(client)s recorded.") % {"client": client.name})
            return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/client_status_form.html",
        {"client": client, "form": form, "changes": selectors.client_status_changes(client=client)[:50]},
    )


@login_required
@require_POST
def client_restore(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=pk)
    try:
        services.client_restore(client=client, by=request.user)
    except NotAllowedError:
        raise PermissionDenied from None
    messages.success(request, _("%(name)s restored.") % {"name": client.name})
    return redirect(safe_next_url(request, reverse("clients:detail", args=[client.pk])))


@login_required
def client_history(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=pk)
    records = client.history.select_related("history_user").order_by("-history_date", "-history_id")
    page = _page(request, records)
    shown = list(page.object_list)
    # Each row is diffed against the record just before it: the next row of this page, or for the last row
    # the first of the next page (one query for the page, not record.prev_record's one query per row).
    older = list(records[page.end_index() : page.end_index() + 1]) if shown else []
    pairs = list(zip(shown, [*shown[1:], *older, None], strict=False))
    rows = list(zip(shown, record_changes(pairs), strict=True))
    return render(request, "clients/client_history.html", {"client": client, "page": page, "rows": rows})


# --- contacts ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    form = ContactForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            contact = services.contact_create(client=client, by=request.user, **data)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("%(contact)s added to the stakeholder map.") % {"contact": contact})
            if "add_another" in request.POST:
                return redirect("clients:contact_create", client_pk=client.pk)
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/contact_form.html", {"form": form, "client": client, "title": _("New contact")})


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = contact_get_for_user(user=request.user, pk=pk)
    client = contact.client
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    form = ContactForm(request.POST or None, instance=contact, client=client)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.contact_update(contact=contact, by=request.user, expected_version=_versioned(form), **changes)
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("clients:detail", pk=client.pk)
    title = _("Edit %(contact)s") % {"contact": contact}
    return render(request, "clients/contact_form.html", {"form": form, "client": client, "title": title})


# --- handoffs ----------------------------------------------------------------------------------


@login_required
def handoff_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    queryset = selectors.handoff_queryset_for_user(user=request.user)
    if status in HandoffStatus.values:
        queryset = queryset.filter(status=status)
    page = _page(request, queryset)
    inbox = list(selectors.handoff_inbox_for_user(user=request.user)[:50])
    returned = list(selectors.handoffs_returned_to(user=request.user)[:50])
    return render(
        request,
        "clients/handoff_list.html",
        {
            "inbox": [(h, services.handoff_readiness(h)) for h in inbox],
            "returned": [(h, services.handoff_readiness(h)) for h in returned],
            "page": page,
            "rows": [(h, services.handoff_readiness(h)) for h in page.object_list],
            "status": status,
            "statuses": HandoffStatus.choices,
        },
    )


@login_required
def handoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "clients/handoff_detail.html",
        {
            "handoff": handoff,
            "readiness": services.handoff_readiness(handoff),
            "can_decide": handoff_can_decide(user=request.user, handoff=handoff),
            "can_edit": handoff_can_edit(user=request.user, handoff=handoff),
            "show_owner_choice": rules.can_decide_for_others(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def handoff_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not client_can_edit(user=request.user, client=client):
        raise PermissionDenied
    form = HandoffForm(request.POST or None, client=client, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            handoff, created = services.handoff_create(by=request.user, client=client, **form.service_fields())
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            if created:
                messages.success(request, _("Handoff sent."))
            else:
                messages.info(request, _("A handoff for this deal id already existed; here it is."))
            return redirect("clients:handoff_detail", pk=handoff.pk)
    return render(request, "clients/handoff_form.html", {"form": form, "client": client, "title": _("Hand off to AM")})


@login_required
@require_http_methods(["GET", "POST"])
def handoff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_get_for_user(user=request.user, pk=pk)
    if not handoff_can_edit(user=request.user, handoff=handoff):
        raise PermissionDenied
    form = HandoffForm(request.POST or None, instance=handoff, client=handoff.client, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.handoff_update(
                handoff=handoff, by=request.user, expected_version=_versioned(form), **form.service_fields()
            )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Handoff saved."))
            return redirect("clients:handoff_detail", pk=handoff.pk)
    return render(
        request,
        "clients/handoff_form.html",
        {
            "form": form,
            "client": handoff.client,
            "handoff": handoff,
            "title": _("Edit handoff %(deal)s") % {"deal": handoff.deal_name},
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def handoff_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accepting asks first: what will happen (owner, onboarding, commitments as follow-ups), and who takes the
    client (leads and admins choose the AM; an AM takes it themselves)."""
    handoff = handoff_get_for_user(user=request.user, pk=pk)
    if not handoff_can_decide(user=request.user, handoff=handoff):
        raise PermissionDenied  # visible but not theirs to decide: 403, like the return page
    can_choose = rules.can_decide_for_others(request.user)
    form = HandoffAcceptForm(request.POST if request.method == "POST" else None, user=request.user, handoff=handoff)
    readiness = services.handoff_readiness(handoff)
    if request.method == "POST" and form.is_valid():
        owner = form.cleaned_data.get("owner") if can_choose else None
        try:
            services.handoff_accept(handoff=handoff, by=request.user, owner=owner)
        except NotAllowedError:
            raise PermissionDenied from None
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(client)s is now in onboarding with its new account manager.") % {"client": handoff.client.name},
            )
            return redirect("clients:detail", pk=handoff.client_id)
    return render(
        request,
        "clients/handoff_accept.html",
        {"handoff": handoff, "form": form, "readiness": readiness, "can_choose_owner": can_choose},
    )


@login_required
@require_http_methods(["GET", "POST"])
def handoff_return(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_get_for_user(user=request.user, pk=pk)
    if not handoff_can_decide(user=request.user, handoff=handoff):
        raise PermissionDenied
    form = HandoffReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.handoff_return(handoff=handoff, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Handoff returned to sales with your reason."))
            return redirect("clients:handoffs")
    return render(request, "clients/handoff_return.html", {"form": form, "handoff": handoff})


@login_required
@require_POST
def handoff_resend(request: HttpRequest, pk: int) -> HttpResponse:
    handoff = handoff_get_for_user(user=request.user, pk=pk)
    try:
        services.handoff_resend(handoff=handoff, by=request.user)
    except NotAllowedError:
        raise PermissionDenied from None  # visible but not theirs to send: 403, like accept
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Handoff sent again."))
    return redirect("clients:handoff_detail", pk=handoff.pk)


# --- imports -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sales_import(request: HttpRequest) -> HttpResponse:
    """Upload -> dry-run report -> confirm. The previewed file is kept briefly so it is not uploaded twice."""
    user = request.user
    if not rules.can_import_sales_exports(user):
        raise PermissionDenied
    max_bytes = settings.MAX_IMPORT_UPLOAD_BYTES
    report = None
    token = None
    if request.method == "POST" and request.POST.get("token"):
        token = request.POST["token"]
        preview = services.import_preview_get(by=user, token=token)
        form = SalesImportForm(user=user, max_bytes=max_bytes)
        if preview is None:
            messages.error(request, _("The preview expired; upload the file again."))
        else:
            report = importers.import_sales_export(
                data=bytes(preview.data),
                by=user,
                dry_run=False,
                to_team=preview.to_team,
                to_am=preview.to_am,
                date_order=preview.date_order,
            )
            if report.applied:
                services.import_preview_discard(preview=preview)
                summary = report.summary
                messages.success(
                    request,
                    # Translators: each part is one of the counts below ("3 rows", "2 clients created", …).
                    _("Imported %(rows)s: %(clients_created)s, %(clients_updated)s, %(handoffs_created)s.")
                    % {
                        "rows": ngettext("%(count)s row", "%(count)s rows", summary["rows"])
                        % {"count": summary["rows"]},
                        "clients_created": ngettext(
                            "%(count)s client created", "%(count)s clients created", summary["clients_created"]
                        )
                        % {"count": summary["clients_created"]},
                        "clients_updated": ngettext(
                            "%(count)s updated", "%(count)s updated", summary["clients_updated"]
                        )
                        % {"count": summary["clients_updated"]},
                        "handoffs_created": ngettext(
                            "%(count)s handoff created", "%(count)s handoffs created", summary["handoffs_created"]
                        )
                        % {"count": summary["handoffs_created"]},
                    },
                )
                return redirect("clients:handoffs")
    else:
        form = SalesImportForm(request.POST or None, request.FILES or None, user=user, max_bytes=max_bytes)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data["file"].read()
            to_team, to_am = form.cleaned_data["to_team"], form.cleaned_data["to_am"]
            date_order = form.cleaned_data["date_order"]
            report = importers.import_sales_export(
                data=data, by=user, dry_run=True, to_team=to_team, to_am=to_am, date_order=date_order
            )
            if report.ok:
                token = services.import_preview_save(
                    by=user, data=data, to_team=to_team, to_am=to_am, date_order=date_order
                )
    return render(request, "clients/sales_import.html", {"form": form, "report": report, "token": token})
