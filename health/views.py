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
from health.models import HealthModel, HealthScore
from kpis.models import Metric, QuarantinedValue, QuarantineStatus
from users import permissions as rules


@login_required
@require_http_methods(["GET", "POST"])
def health_model_edit(request: HttpRequest) -> HttpResponse:
    if not rules.can_edit_health_model(request.user):
        raise PermissionDenied
    model = services.health_model_ensure_default()
    preview = None
    draft = None
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
                draft = (components, green, yellow)
            except ApplicationError as exc:
                bands.add_error(None, exc.message)
    else:
        formset = ComponentFormSet(initial=initial_components(model.components), prefix="c")
        bands = BandsForm(initial={"green_min": model.green_min, "yellow_min": model.yellow_min})
    return render(
        request,
        "health/model_edit.html",
        {
            "calibration": services.health_model_calibration(today=timezone.localdate(), draft=draft),
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
