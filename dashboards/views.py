"""Cross-app pages: my day (AM home), portfolio (team lead), global search, export."""

from __future__ import annotations

import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clients.filters import ClientFilter
from clients.selectors import client_queryset_for_user, clients_selected, owners_for_user
from contracts import selectors as contract_selectors
from contracts import services as contract_services
from contracts.models import RenewalStage
from contracts.permissions import renewal_can_edit, renewal_get_for_user
from core.csv_export import csv_writer
from core.errors import ApplicationError, ConcurrentEditError
from core.forms import is_htmx
from core.redirects import safe_next_url
from dashboards import selectors
from dashboards.forms import PortfolioFilterForm, RenewalBoardFilterForm
from users import permissions as rules


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Everyone lands where their work is: AMs on their day, leads on the portfolio, sales on their accounts."""
    user = request.user
    if not rules.works_accounts(user):
        return redirect("clients:mine")
    if rules.oversees_portfolio(user):
        return redirect("dashboards:portfolio")
    return redirect("dashboards:my_day")


@login_required
def my_day(request: HttpRequest) -> HttpResponse:
    """The AM's day; `?part=sections` (htmx) re-renders the sections in place after a flag or a contact is logged."""
    sections_only = is_htmx(request) and request.GET.get("part") == "sections"
    template = "dashboards/_my_day_sections.html" if sections_only else "dashboards/my_day.html"
    return render(request, template, {"day": selectors.my_day(user=request.user)})


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not rules.oversees_portfolio(user):
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
    renewals = contract_selectors.portfolio_renewals(user=user, today=timezone.localdate(), owner=owner, team=team)
    context = {"form": form, "view": view, "today": timezone.localdate(), "renewals": renewals}
    return render(request, "dashboards/portfolio.html", context)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The top-bar search: a dropdown while typing (htmx), a page on Enter."""
    query = request.GET.get("q", "").strip()[:100]
    partial = request.headers.get("HX-Request") == "true"
    limit = selectors.SEARCH_DROPDOWN_LIMIT if partial else selectors.SEARCH_PAGE_LIMIT
    results = selectors.global_search(user=request.user, query=query, limit=limit)
    template = "dashboards/_search_results.html" if partial else "dashboards/search.html"
    return render(
        request,
        template,
        {"query": query, "results": results, "clients": results.clients, "contacts": results.contacts, "limit": limit},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def client_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered client list as CSV (same filters as the list page), streamed."""
    queryset = _exported_clients(request).order_by("name", "pk")
    writer = csv_writer(_Echo())  # spreadsheet-safe: no cell runs as a formula
    rows = (writer.writerow(row) for row in selectors.export_rows(queryset=queryset, today=timezone.localdate()))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="clients-{timezone.localdate():%Y%m%d}.csv"'
    return response


@login_required
@require_POST
def client_export_selected(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    """The rows selected on the client list as CSV (the same columns as the full export)."""
    chosen = clients_selected(user=request.user, ids=request.POST.getlist("ids"))
    if not chosen:
        messages.error(request, _("Select at least one client first."))
        return redirect(safe_next_url(request, fallback="clients:mine"))
    queryset = client_queryset_for_user(user=request.user, scope="all").filter(pk__in=[c.pk for c in chosen])
    writer = csv_writer(_Echo())  # spreadsheet-safe: no cell runs as a formula
    rows = (
        writer.writerow(row)
        for row in selectors.export_rows(queryset=queryset.order_by("name", "pk"), today=timezone.localdate())
    )
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="clients-selected-{timezone.localdate():%Y%m%d}.csv"'
    return response


def _exported_clients(request: HttpRequest):
    scope = "mine" if request.GET.get("scope") == "mine" else "team"
    client_filter = ClientFilter(request.GET, queryset=client_queryset_for_user(user=request.user, scope=scope))
    return client_filter.qs


@login_required
def client_audience(request: HttpRequest) -> HttpResponse:
    """Before downloading an audience: how many contacts it holds, who is left out and why, which format."""
    query = request.GET.copy()
    query.pop("format", None)
    counts = selectors.audience_counts(queryset=_exported_clients(request))
    return render(
        request,
        "dashboards/audience_export.html",
        {
            "counts": counts,
            "querystring": query.urlencode(),
            "mailchimp_header": selectors.MAILCHIMP_HEADER,
            "intercom_header": selectors.INTERCOM_HEADER,
        },
    )


@login_required
def client_audience_export(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    """One row per contact, in the shape Mailchimp or Intercom imports, UTF-8 with a BOM for Excel."""
    shape = request.GET.get("format") or "mailchimp"
    if shape not in selectors.AUDIENCE_FORMATS:
        return HttpResponse(
            _("Choose format=mailchimp or format=intercom."), status=400, content_type="text/plain; charset=utf-8"
        )
    writer = csv_writer(_Echo())  # spreadsheet-safe: no cell runs as a formula
    rows = selectors.audience_rows(queryset=_exported_clients(request), today=timezone.localdate(), shape=shape)
    body = itertools.chain(["\ufeff"], (writer.writerow(row) for row in rows))
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audience-{shape}-{timezone.localdate():%Y%m%d}.csv"'
    return response


# --- the renewals board --------------------------------------------------------------------------


def _board_context(request: HttpRequest) -> dict:
    user = request.user
    today = timezone.localdate()
    form = RenewalBoardFilterForm(request.GET or None, user=user, owners=owners_for_user(user=user), today=today)
    filters = form.cleaned_data if form.is_valid() else {}
    columns = contract_selectors.renewal_board_columns(
        user=user,
        today=today,
        team_id=filters["team"].pk if filters.get("team") else None,
        owner_id=filters["owner"].pk if filters.get("owner") else None,
        quarter=filters.get("quarter"),
    )
    return {
        "form": form,
        "columns": columns,
        "today": today,
        "moves": contract_services.BOARD_MOVES,
        "stage_labels": dict(RenewalStage.choices),
        "can_edit": {r.pk for c in columns for r in c.renewals if renewal_can_edit(user=user, renewal=r)},
        "querystring": request.GET.urlencode(),
    }


@login_required
def renewals_board(request: HttpRequest) -> HttpResponse:
    """Renewals in columns by stage; move a card by dragging it or with its own Move menu (keyboard)."""
    if not rules.can_manage_contracts(request.user):
        raise PermissionDenied
    template = "dashboards/_renewals_board.html" if is_htmx(request) else "dashboards/renewals_board.html"
    return render(request, template, _board_context(request))


@login_required
@require_http_methods(["POST"])
def renewals_board_move(request: HttpRequest, pk: int) -> HttpResponse:
    """One stage change under the optimistic lock; churned and downsold need the renewal's form (reason, value)."""
    renewal = renewal_get_for_user(user=request.user, pk=pk)
    if not renewal_can_edit(user=request.user, renewal=renewal):
        raise PermissionDenied
    stage = request.POST.get("stage", "")
    back = f"{reverse('dashboards:renewals_board')}?{request.POST.get('querystring', '')}"
    if stage in {RenewalStage.CHURNED, RenewalStage.DOWNSOLD}:
        target = f"{reverse('contracts:renewal_edit', args=[renewal.pk])}?stage={stage}"
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    version = request.POST.get("version", "")
    try:
        contract_services.renewal_stage_move(
            renewal=renewal,
            by=request.user,
            stage=stage,
            expected_version=int(version) if version.isdigit() else None,
            today=timezone.localdate(),
        )
    except ConcurrentEditError as exc:
        messages.error(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(client)s moved to %(stage)s.") % {"client": renewal.client.name, "stage": RenewalStage(stage).label},
        )
    if is_htmx(request):
        request.GET = QueryDict(request.POST.get("querystring", ""))
        return render(request, "dashboards/_renewals_board.html", _board_context(request))
    return redirect(back)
@login_required
def activity_report(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The lead's weekly report: calls, meetings, e-mails per AM, client commitments kept and late; CSV too."""
    from core.dates import Week
    from users.models import Team

    user = request.user
    if not rules.oversees_portfolio(user):
        raise PermissionDenied
    today = timezone.localdate()
    week = Week.parse(request.GET.get("week"), today=today)
    teams = list(Team.objects.order_by("name")) if user.is_admin_role else []
    team_id = request.GET.get("team", "")
    team_id = int(team_id) if team_id.isdigit() and any(t.pk == int(team_id) for t in teams) else None
    report = selectors.activity_report(user=user, week=week, today=today, team_id=team_id)
    if request.GET.get("format") == "csv":
        writer = csv_writer(_Echo())  # spreadsheet-safe: no cell runs as a formula
        body = itertools.chain(["\ufeff"], (writer.writerow(row) for row in selectors.activity_csv_rows(report)))
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="activity-{week.iso}.csv"'
        return response
    return render(
        request,
        "dashboards/activity_report.html",
        {
            "report": report,
            "week": week,
            "previous_week": week.shifted(-1),
            "next_week": week.shifted(1) if week.shifted(1).start <= today else None,
            "teams": teams,
            "team_id": team_id,
            "today": today,
        },
    )
