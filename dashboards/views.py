"""Cross-app pages: my day (AM home), portfolio (team lead), the account 360, global search, export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from clients.filters import ClientFilter
from clients.models import ClientStatus
from clients.permissions import client_can_edit, client_get_for_user
from clients.selectors import client_queryset_for_user
from clients.timeline import KIND_LABELS, timeline_page
from core.csv_export import csv_writer
from dashboards import selectors
from dashboards.forms import PortfolioFilterForm
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
def home(request: HttpRequest) -> HttpResponse:
    """Everyone lands where their work is: AMs on their day, leads on the portfolio, sales on their accounts."""
    user = request.user
    if user.role == Role.SALES:
        return redirect("clients:mine")
    if user.role == Role.TEAM_LEAD or user.is_admin_role:
        return redirect("dashboards:portfolio")
    return redirect("dashboards:my_day")


@login_required
def my_day(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/my_day.html", {"day": selectors.my_day(user=request.user)})


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.role == Role.TEAM_LEAD or user.is_admin_role):
        raise PermissionDenied
    form = PortfolioFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_valid() else {"as_of": timezone.localdate()}
    owner = filters.get("owner")
    team = filters.get("team")
    view = selectors.portfolio(
        user=user,
        as_of=filters.get("as_of") or timezone.localdate(),
        owner_id=owner.pk if owner else None,
        segment=filters.get("segment") or "",
        key_only=bool(filters.get("key_only")),
        team_id=team.pk if team else None,
    )
    return render(request, "dashboards/portfolio.html", {"form": form, "view": view, "today": timezone.localdate()})


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


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The top-bar search: a dropdown while typing (htmx), a page on Enter."""
    query = request.GET.get("q", "").strip()[:100]
    clients, contacts = selectors.global_search(user=request.user, query=query)
    partial = request.headers.get("HX-Request") == "true"
    template = "dashboards/_search_results.html" if partial else "dashboards/search.html"
    return render(request, template, {"query": query, "clients": clients, "contacts": contacts})


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def client_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered client list as CSV (same filters as the list page), streamed."""
    scope = "mine" if request.GET.get("scope") == "mine" else "team"
    client_filter = ClientFilter(request.GET, queryset=client_queryset_for_user(user=request.user, scope=scope))
    queryset = client_filter.qs.order_by("name", "pk")
    writer = csv_writer(_Echo())  # spreadsheet-safe: no cell runs as a formula
    rows = (writer.writerow(row) for row in selectors.export_rows(queryset=queryset, today=timezone.localdate()))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="clients-{timezone.localdate():%Y%m%d}.csv"'
    return response
