"""Cross-app pages: the account 360 (client page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clients.models import ClientStatus
from clients.permissions import client_can_edit, client_get_for_user
from clients.timeline import KIND_LABELS, timeline_page
from dashboards import selectors
from reviews import selectors as review_selectors
from users.models import Role

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
def account(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=pk)
    can_edit = client_can_edit(user=request.user, client=client)
    context = {
        "view": selectors.account_360(client=client, user=request.user),
        "reviews_panel": review_selectors.account_panel(client=client, user=request.user),
        "client": client,
        "can_edit": can_edit,
        "can_handoff": can_edit
        and client.status == ClientStatus.PROSPECT
        and (request.user.role in {Role.SALES, Role.TEAM_LEAD} or request.user.is_admin_role),
    }
    context.update(_timeline_context(request, client))
    return render(request, "dashboards/account.html", context)


@login_required
def account_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline alone, for htmx: filter by kind and page without reloading the client page."""
    client = client_get_for_user(user=request.user, pk=pk)
    return render(request, "dashboards/_timeline.html", _timeline_context(request, client))
