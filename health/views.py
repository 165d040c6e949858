"""Health model editing (admins): weighted components, bands, preview before saving, versions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError
from health import selectors, services
from health.forms import BandsForm, ComponentFormSet, initial_components
from health.models import CalibrationJob, CalibrationStatus, HealthModel, HealthScore
from kpis.models import Metric, QuarantinedValue, QuarantineStatus
from users import permissions as rules

UNFINISHED = {CalibrationStatus.QUEUED, CalibrationStatus.RUNNING}


@login_required
@require_http_methods(["GET", "POST"])
def health_model_edit(request: HttpRequest) -> HttpResponse:
    if not rules.can_edit_health_model(request.user):
        raise PermissionDenied
    model = services.health_model_ensure_default()
    preview = None
    draft_job = None
    if request.method == "POST":
        formset = ComponentFormSet(request.POST, prefix="c")
        bands = BandsForm(request.POST)
        if formset.is_valid() and bands.is_valid():
            components = [c for c in (form.as_component() for form in formset) if c]
            green, yellow = bands.cleaned_data["green_min"], bands.cleaned_data["yellow_min"]
            latest_date = HealthScore.objects.order_by("-date").values_list("date", flat=True).first()
            try:
                if "save" in request.POST:
                    saved = services.health_model_save(
                        components=components,
                        green_min=green,
                        yellow_min=yellow,
                        by=request.user,
                        notes=bands.cleaned_data["notes"],
                    )
                    messages.success(
                        request, f"Saved as version {saved.version}; scores use it from the next computation."
                    )
                    return redirect("health:model")
                preview = services.health_model_preview(
                    components=components,
                    green_min=green,
                    yellow_min=yellow,
                    on_date=latest_date or timezone.localdate(),
                )
                # The draft's calibration re-scores the history: a worker does it, the page polls.
                draft_job = services.health_calibration_start(
                    by=request.user, today=timezone.localdate(), draft=(components, green, yellow)
                )
            except ApplicationError as exc:
                bands.add_error(None, exc.message)
    else:
        formset = ComponentFormSet(initial=initial_components(model.components), prefix="c")
        bands = BandsForm(initial={"green_min": model.green_min, "yellow_min": model.yellow_min})
    return render(
        request,
        "health/model_edit.html",
        {
            **_calibration_context(
                services.health_calibration_ensure(today=timezone.localdate()), draft_job and _fresh(draft_job)
            ),
            "model": model,
            "formset": formset,
            "bands": bands,
            "preview": preview,
            "versions": HealthModel.objects.select_related("created_by")[:20],
            "metrics": Metric.objects.order_by("name"),
            "quarantined": QuarantinedValue.objects.filter(status=QuarantineStatus.PENDING).count(),
            "active_spec": selectors.model_spec(model),
        },
    )


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
