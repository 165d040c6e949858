"""Template helpers of the contracts pages: a renewal likelihood's factors in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from core.formats import days_ago, format_every_days

register = template.Library()


def _last_contact(params: Mapping[str, Any]) -> str:
    # Translators: e.g. "last contact 40 days ago, cadence every 14 days".
    return _("last contact %(ago)s, cadence %(cadence)s") % {
        "ago": days_ago(int(params["days"])), "cadence": format_every_days(int(params["cadence"])),
    }  # fmt: skip


def _contacted(params: Mapping[str, Any]) -> str:
    # Translators: e.g. "contacted 3 days ago" or "contacted today".
    return _("contacted %(ago)s") % {"ago": days_ago(int(params["days"]))}


# A factor's words: a text filled from its parameters (plural forms chosen by the count it names), or a function.
FACTOR_TEXT: dict[str, Any] = {
    "closed_renewed": gettext_lazy("renewed"),
    "closed_churned": gettext_lazy("churned"),
    "band_green": gettext_lazy("health green"),
    "band_yellow": gettext_lazy("health yellow"),
    "band_red": gettext_lazy("health red"),
    "not_scored": gettext_lazy("health not scored yet"),
    "health_falling": ngettext_lazy(
        "health fell %(points)s point in 30 days", "health fell %(points)s points in 30 days", "points"
    ),
    "health_rising": ngettext_lazy(
        "health rose %(points)s point in 30 days", "health rose %(points)s points in 30 days", "points"
    ),
    "open_flags": ngettext_lazy(
        "%(count)s open flag (%(severe)s severe)", "%(count)s open flags (%(severe)s severe)", "count"
    ),
    "never_contacted": gettext_lazy("never contacted"),
    "contact_lapsed": _last_contact,
    "contact_late": _last_contact,
    "contact_recent": _contacted,
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
        params = factor.get("params") or {}
        try:
            words = text(params) if callable(text) else (str(text % params) if params else str(text))
        except (KeyError, TypeError, ValueError):  # a factor stored before its words changed: left out
            continue
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
