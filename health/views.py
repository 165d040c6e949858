"""Health model editing (admins): weighted components, bands, preview and confirmation before saving, versions
(view, restore), re-score now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError
from core.forms import add_service_error, is_htmx
from health import selectors, services
from health.forms import BandsForm, ComponentFormSet, initial_components
from health.models import CalibrationJob, CalibrationStatus
from kpis.models import Metric, QuarantinedValue, QuarantineStatus
from users import permissions as rules

PREVIEW_PAGE_SIZE = 25
UNFINISHED = {CalibrationStatus.QUEUED, CalibrationStatus.RUNNING}


def _require_admin(request: HttpRequest) -> None:
    if not rules.can_edit_health_model(request.user):
        raise PermissionDenied


def _raw_components(formset) -> list[dict]:
    """What the rows hold now (valid or not), for the weight shares shown beside them."""
    rows = []
    for form in formset:
        if form.is_bound:
            rows.append({"kind": form["kind"].value(), "weight": form["weight"].value()})
        else:
            rows.append({"kind": form.initial.get("kind"), "weight": form.initial.get("weight")})
    return rows


def _preview_page(preview, number) -> dict | None:
    """The page of clients that would change band, with their names (one query for the page)."""
    if preview is None:
        return None
    page = Paginator(preview.changes, PREVIEW_PAGE_SIZE).get_page(number)
    names = selectors.client_names(client_ids=[change.client_id for change in page])
    return {"page": page, "rows": [(change, names.get(change.client_id, "")) for change in page]}


@login_required
@require_http_methods(["GET", "POST"])
def health_model_edit(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    model = services.health_model_ensure_default()
    preview = None
    confirming = False
    draft_job = None
    if request.method == "POST":
        formset = ComponentFormSet(request.POST, prefix="c")
        bands = BandsForm(request.POST)
        if formset.is_valid() and bands.is_valid():
            components = [c for c in (form.as_component() for form in formset) if c]
            green, yellow = bands.cleaned_data["green_min"], bands.cleaned_data["yellow_min"]
            try:
                if "save" in request.POST and request.POST.get("confirmed") == "1":
                    saved = services.health_model_save(
                        components=components,
                        green_min=green,
                        yellow_min=yellow,
                        by=request.user,
                        notes=bands.cleaned_data["notes"],
                    )
                    messages.success(
                        request,
                        _("Saved as version %(version)s; scores use it from the next computation.")
                        % {"version": saved.version},
                    )
                    return redirect("health:model")
                preview = services.health_model_preview(
                    components=components,
                    green_min=green,
                    yellow_min=yellow,
                    on_date=selectors.latest_scored_day() or timezone.localdate(),
                )
                confirming = "save" in request.POST  # valid: now ask, with the band changes in view
                # The draft's calibration re-scores the history: a worker does it, the page polls.
                draft_job = services.health_calibration_start(
                    by=request.user, today=timezone.localdate(), draft=(components, green, yellow)
                )
            except ApplicationError as exc:
                add_service_error(bands, exc)
    else:
        formset = ComponentFormSet(initial=initial_components(model.components), prefix="c")
        bands = BandsForm(initial={"green_min": model.green_min, "yellow_min": model.yellow_min})
    shares = selectors.weight_shares(_raw_components(formset))
    versions = list(selectors.model_versions(limit=20))
    return render(
        request,
        "health/model_edit.html",
        {
            **_calibration_context(
                services.health_calibration_ensure(today=timezone.localdate()), draft_job and _fresh(draft_job)
            ),
            "model": model,
            "formset": formset,
            "rows": list(zip(formset, shares, strict=False)),
            "active_shares": list(zip(model.components, selectors.weight_shares(model.components), strict=False)),
            "bands": bands,
            "preview": preview,
            "changes": _preview_page(preview, request.POST.get("preview_page") or 1),
            "confirming": confirming,
            "next_version": (versions[0].version if versions else 0) + 1,
            "versions": versions,
            "metrics": Metric.objects.order_by("name"),
            "quarantined": QuarantinedValue.objects.filter(status=QuarantineStatus.PENDING).count(),
            "rescore": selectors.rescore_progress(),
        },
    )


@login_required
@require_GET
def health_model_version(request: HttpRequest, pk: int) -> HttpResponse:
    """An earlier (or the active) version, read-only, with a restore button."""
    _require_admin(request)
    found = selectors.model_version(pk=pk)
    if found is None:
        raise Http404
    return render(
        request,
        "health/model_version.html",
        {
            "version": found,
            "components": list(zip(found.components, selectors.weight_shares(found.components), strict=False)),
            "metrics": dict(Metric.objects.values_list("key", "name")),
        },
    )


@login_required
@require_POST
def health_model_restore(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    found = selectors.model_version(pk=pk)
    if found is None:
        raise Http404
    try:
        restored = services.health_model_restore(version=found, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("health:model_version", pk=pk)
    messages.success(
        request,
        _("Version %(old)s restored as version %(new)s; scores use it from the next computation.")
        % {"old": found.version, "new": restored.version},
    )
    return redirect("health:model")


@login_required
@require_POST
def health_rescore(request: HttpRequest) -> HttpResponse:
    """Queue today's scores with the workers; the page then shows the request's progress."""
    _require_admin(request)
    services.health_rescore_request(by=request.user, today=timezone.localdate())
    if is_htmx(request):
        return render(request, "health/_rescore_status.html", {"rescore": selectors.rescore_progress()})
    messages.success(request, _("Re-scoring queued: the workers compute today's scores of every live client."))
    return redirect("health:model")


@login_required
@require_GET
def health_rescore_status(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "health/_rescore_status.html", {"rescore": selectors.rescore_progress()})


def _fresh(job: CalibrationJob) -> CalibrationJob:
    job.refresh_from_db()  # an eager worker (no broker) may have finished it on commit
    return job


def _calibration_context(current: CalibrationJob, draft: CalibrationJob | None) -> dict:
    running = [job for job in (current, draft) if job is not None and job.status in UNFINISHED]
    return {"current": current, "draft": draft, "running": running, "polling": bool(running)}


@login_required
def calibration_status(request: HttpRequest) -> HttpResponse:
    """The calibration section (htmx polls it while a calibration runs): the active model's and a draft's."""
    if not rules.can_edit_health_model(request.user):
        raise PermissionDenied
    jobs = CalibrationJob.objects.filter(pk__in=[_id(request.GET.get("current")), _id(request.GET.get("draft"))])
    by_pk = {job.pk: job for job in jobs}
    current = by_pk.get(_id(request.GET.get("current")))
    if current is None or current.draft:
        current = services.health_calibration_ensure(today=timezone.localdate())
    draft = by_pk.get(_id(request.GET.get("draft")))
    if draft is not None and (not draft.draft or draft.requested_by_id != request.user.pk):
        draft = None
    return render(request, "health/_calibration.html", _calibration_context(current, draft))


def _id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
