"""Template helpers of the contracts pages: a renewal likelihood's factors in the reader's language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

FACTOR_TEXT = {
    "closed_renewed": gettext_lazy("renewed"),
    "closed_churned": gettext_lazy("churned"),
    "band_green": gettext_lazy("health green"),
    "band_yellow": gettext_lazy("health yellow"),
    "band_red": gettext_lazy("health red"),
    "not_scored": gettext_lazy("health not scored yet"),
    "health_falling": gettext_lazy("health fell %(points)s points in 30 days"),
    "health_rising": gettext_lazy("health rose %(points)s points in 30 days"),
    "open_flags": gettext_lazy("%(count)s open flags (%(severe)s severe)"),
    "never_contacted": gettext_lazy("never contacted"),
    "contact_lapsed": gettext_lazy("last contact %(days)s days ago, cadence %(cadence)s"),
    "contact_late": gettext_lazy("last contact %(days)s days ago, cadence %(cadence)s"),
    "contact_recent": gettext_lazy("contacted %(days)s days ago"),
    "forecast_commit": gettext_lazy("AM calls commit"),
    "forecast_pipeline": gettext_lazy("AM calls pipeline"),
    "forecast_lost": gettext_lazy("AM expects no renewal"),
    "stage_at_risk": gettext_lazy("stage at risk"),
    "stage_committed": gettext_lazy("stage committed"),
}


@register.filter
def likelihood_reasons(factors) -> str:
    """'health red (−25), 2 open flags (1 severe) (−15), …' from the stored factor codes."""
    parts = []
    for factor in factors or []:
        text = FACTOR_TEXT.get(factor.get("code"))
        if text is None:
            continue
        try:
            words = str(text) % factor.get("params", {}) if factor.get("params") else str(text)
        except (KeyError, TypeError, ValueError):
            words = str(text)
        points = factor.get("points", 0)
        parts.append(_("%(words)s (%(points)+d)") % {"words": words, "points": points} if points else words)
    return ", ".join(parts)


@register.filter
def likelihood_badge(percent) -> str:
    if percent is None:
        return "text-bg-light"
    if percent >= 70:
        return "text-bg-success"
    if percent >= 40:
        return "text-bg-warning"
    return "text-bg-danger"
