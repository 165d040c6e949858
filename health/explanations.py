"""The sentences that explain a health score, as phrases (core.phrases): each component's explanation is stored
with the score as a key and its figures, and read in the language of whoever opens the client page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formats import (
    days_ago,
    days_late,
    format_day,
    format_days,
    format_every_days,
    format_figure,
    format_percent_change,
)
from core.phrases import phrase_writer, render
from kpis.windows import frequency_in_words


def _values_present(count: int, expected: int) -> str:
    return ngettext(
        "%(count)d of %(expected)d expected value", "%(count)d of %(expected)d expected values", expected
    ) % {"count": count, "expected": expected}


@phrase_writer("health.component_label")
def _component_label(p: Mapping[str, Any]) -> str:
    from health.scoring import COMPONENT_KINDS, KPI_LEVEL, KPI_TREND

    if p.get("label"):
        return p["label"]  # the admin's own words
    if p["kind"] == KPI_TREND and p.get("kpi"):
        # Translators: a health component, e.g. "Orders: trend"
        return _("%(kpi)s: trend") % {"kpi": p["kpi"]}
    if p["kind"] == KPI_LEVEL and p.get("kpi"):
        return _("%(kpi)s: level against its targets") % {"kpi": p["kpi"]}
    return str(COMPONENT_KINDS.get(p["kind"], p["kind"]))


@phrase_writer("health.missing")
def _missing(p: Mapping[str, Any]) -> str:
    # Translators: a component without data, e.g. "No renewal date — missing, counted as neutral 50"
    return _("%(explanation)s — missing, counted as neutral %(neutral)s") % {
        "explanation": render(p["said"]),
        "neutral": format_figure(p["neutral"]),
    }


@phrase_writer("health.trend_too_little")
def _trend_too_little(p: Mapping[str, Any]) -> str:
    return _("%(kpi)s: too little data for last %(days)s vs previous %(count)d (%(recent)s and %(baseline)s).") % {
        "kpi": p["kpi"],
        "days": format_days(p["days"]),
        "count": p["days"],
        "recent": _values_present(p["recent"], p["expected"]),
        "baseline": _values_present(p["baseline"], p["expected"]),
    }


@phrase_writer("health.trend")
def _trend(p: Mapping[str, Any]) -> str:
    # Translators: e.g. "Orders last 28 days: 312 orders, previous 28: 455 orders, -31%"
    text = _("%(kpi)s last %(days)s: %(current)s, previous %(count)d: %(previous)s, %(change)s") % {
        "kpi": p["kpi"],
        "days": format_days(p["days"]),
        "count": p["days"],
        "current": format_figure(p["current"], p.get("unit", "")),
        "previous": format_figure(p["previous"], p.get("unit", "")),
        "change": format_percent_change(p["change"]),
    }
    if p.get("per_value"):
        recent, baseline = p["per_value"]
        per_value = _("(per value received: %(recent)d vs %(baseline)d)") % {"recent": recent, "baseline": baseline}
        text = f"{text} {per_value}"
    return text


@phrase_writer("health.no_activity")
def _no_activity(p: Mapping[str, Any]) -> str:
    return _("%(kpi)s: none in the last %(days)s (no activity)") % {"kpi": p["kpi"], "days": format_days(p["days"])}


@phrase_writer("health.level_too_little")
def _level_too_little(p: Mapping[str, Any]) -> str:
    return _("%(kpi)s: too little data in the last %(days)s (%(present)s).") % {
        "kpi": p["kpi"],
        "days": format_days(p["days"]),
        "present": _values_present(p["present"], p["expected"]),
    }


@phrase_writer("health.level")
def _level(p: Mapping[str, Any]) -> str:
    return _("%(kpi)s over the last %(days)s: %(value)s (good %(good)s, bad %(bad)s)") % {
        "kpi": p["kpi"],
        "days": format_days(p["days"]),
        "value": format_figure(p["value"], p.get("unit", "")),
        "good": format_figure(p["good"]),
        "bad": format_figure(p["bad"]),
    }


@phrase_writer("health.no_kpis")
def _no_kpis(p: Mapping[str, Any]) -> str:
    return _("No KPI values in the last %(days)s") % {"days": format_days(p["days"])}


@phrase_writer("health.kpis_on_time")
def _kpis_on_time(p: Mapping[str, Any]) -> str:
    return ngettext("All %(count)d KPI arriving on time", "All %(count)d KPIs arriving on time", p["count"]) % {
        "count": p["count"]
    }


@phrase_writer("health.kpis_late")
def _kpis_late(p: Mapping[str, Any]) -> str:
    # Translators: e.g. "1 of 2 KPIs late; Orders: last value 30 days ago (expected daily)"
    return ngettext(
        "%(late)d of %(count)d KPI late; %(kpi)s: last value %(ago)s (expected %(frequency)s)",
        "%(late)d of %(count)d KPIs late; %(kpi)s: last value %(ago)s (expected %(frequency)s)",
        p["count"],
    ) % {
        "late": p["late"],
        "count": p["count"],
        "kpi": p["kpi"],
        "ago": days_ago(p["days"]),
        "frequency": frequency_in_words(p["frequency"]),
    }


@phrase_writer("health.never_contacted")
def _never_contacted(p: Mapping[str, Any]) -> str:
    return _("Never contacted (cadence: %(cadence)s)") % {"cadence": format_every_days(p["cadence"])}


@phrase_writer("health.last_contact")
def _last_contact(p: Mapping[str, Any]) -> str:
    return _("Last contact %(ago)s; cadence %(cadence)s") % {
        "ago": days_ago(p["days"]),
        "cadence": format_every_days(p["cadence"]),
    }


@phrase_writer("health.no_open_commitments")
def _no_open_commitments(p: Mapping[str, Any]) -> str:
    return _("No open commitments")


@phrase_writer("health.commitments_overdue")
def _commitments_overdue(p: Mapping[str, Any]) -> str:
    return ngettext(
        "%(overdue)d of %(open)d open commitment overdue", "%(overdue)d of %(open)d open commitments overdue", p["open"]
    ) % {"overdue": p["overdue"], "open": p["open"]}


@phrase_writer("health.first_review_not_due")
def _first_review_not_due(p: Mapping[str, Any]) -> str:
    return _("Client for %(days)s: first review not due yet") % {"days": format_days(p["days"])}


@phrase_writer("health.no_review_no_start")
def _no_review_no_start(p: Mapping[str, Any]) -> str:
    return _("No review on record and no contract start")


@phrase_writer("health.no_review")
def _no_review(p: Mapping[str, Any]) -> str:
    return _("No account review on record")


@phrase_writer("health.last_review")
def _last_review(p: Mapping[str, Any]) -> str:
    values = {"days": format_days(p["days"])}
    if p.get("on"):
        values["review"] = format_day(p["on"])
        return _("Last account review on %(review)s, %(days)s before this score's day") % values
    return _("Last account review %(days)s before this score's day") % values


@phrase_writer("health.no_renewal")
def _no_renewal(p: Mapping[str, Any]) -> str:
    return _("No renewal date")


@phrase_writer("health.renewal_passed")
def _renewal_passed(p: Mapping[str, Any]) -> str:
    return _("Renewal date passed %(ago)s") % {"ago": days_ago(p["days"])}


@phrase_writer("health.renewal_in")
def _renewal_in(p: Mapping[str, Any]) -> str:
    return _("Renewal in %(days)s") % {"days": format_days(p["days"])}


@phrase_writer("health.no_invoices")
def _no_invoices(p: Mapping[str, Any]) -> str:
    return _("No invoices issued")


@phrase_writer("health.invoices_paid")
def _invoices_paid(p: Mapping[str, Any]) -> str:
    return ngettext("No invoice overdue (%(count)d issued)", "No invoice overdue (%(count)d issued)", p["issued"]) % {
        "count": p["issued"]
    }


@phrase_writer("health.invoices_overdue")
def _invoices_overdue(p: Mapping[str, Any]) -> str:
    return ngettext(
        "%(count)d invoice overdue; the oldest %(late)s", "%(count)d invoices overdue; the oldest %(late)s", p["count"]
    ) % {"count": p["count"], "late": days_late(p["oldest"])}


@phrase_writer("health.no_closing_documents")
def _no_closing_documents(p: Mapping[str, Any]) -> str:
    return _("No closing documents sent for signature")


@phrase_writer("health.closing_documents_signed")
def _closing_documents_signed(p: Mapping[str, Any]) -> str:
    return _("Every closing document signed")


@phrase_writer("health.closing_documents_waiting")
def _closing_documents_waiting(p: Mapping[str, Any]) -> str:
    return ngettext(
        "%(count)d closing document unsigned; the oldest waits %(days)s",
        "%(count)d closing documents unsigned; the oldest waits %(days)s",
        p["count"],
    ) % {"count": p["count"], "days": format_days(p["oldest"])}
