"""Small display helpers for review pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import ngettext

register = template.Library()

STATUS_CLASSES = {
    "planned": "text-bg-secondary",
    "prepared": "text-bg-info",
    "held": "text-bg-primary",
    "closed": "text-bg-success",
    "missing": "text-bg-light border border-danger text-danger",
}
VERDICT_CLASSES = {"better": "text-success", "worse": "text-danger", "same": "text-muted"}


@register.filter
def status_class(status: str | None) -> str:
    return STATUS_CLASSES.get(status or "missing", "text-bg-light")


@register.filter
def verdict_class(verdict: str | None) -> str:
    return VERDICT_CLASSES.get(verdict or "", "")


@register.filter
def figure(value) -> str:
    """A KPI figure: thousands separated, at most two decimals, a dash when missing."""
    if value is None or value == "":
        return "—"
    number = float(value)
    if number.is_integer() or abs(number) >= 100:
        return intcomma(round(number))
    return intcomma(f"{number:.2f}".rstrip("0").rstrip("."))


@register.filter
def signed_pct(value) -> str:
    if value is None:
        return ""
    return f"{value:+.1f}%"


@register.filter
def signed(value) -> str:
    """+3.5 / -2.0: a change in points."""
    if value is None:
        return ""
    return f"{value:+.1f}"


@register.filter
def lookup(mapping, key):
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def iso_datetime(value):
    """An ISO timestamp kept in a snapshot, back as a datetime for the ``date`` filter."""
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


# How many interactions of one kind a snapshot counted, as words the reader's language declines.
_KIND_COUNTS = {
    "call": lambda n: ngettext("%(count)s call", "%(count)s calls", n),
    "email": lambda n: ngettext("%(count)s e-mail", "%(count)s e-mails", n),
    "meeting": lambda n: ngettext("%(count)s meeting", "%(count)s meetings", n),
    "note": lambda n: ngettext("%(count)s note", "%(count)s notes", n),
}


@register.simple_tag
def kind_count(kind: str, count: int) -> str:
    """``3 calls``: a count of one interaction kind kept in a snapshot (kinds stored as their codes)."""
    words = _KIND_COUNTS.get(kind)
    if words is None:
        return f"{count} {kind}"
    return words(count) % {"count": count}


@register.filter
def flag_status_label(status: str | None) -> str:
    """The reader's word for a flag status a snapshot kept as its code."""
    from flags.models import FlagStatus

    try:
        return str(FlagStatus(status).label)
    except ValueError:
        return status or ""


@register.filter
def review_status_label(status: str | None) -> str:
    """The reader's word for a review status given as its code (annotated rows carry only the code)."""
    from reviews.models import ReviewStatus

    try:
        return str(ReviewStatus(status).label)
    except ValueError:
        return status or ""


@register.filter
def severity_label(level) -> str:
    """The reader's word for a flag severity a snapshot kept as its level ('' for a snapshot without it)."""
    from flags.models import Severity

    try:
        return str(Severity(int(level)).label)
    except (TypeError, ValueError):
        return ""


@register.filter
def interaction_kind_label(kind: str | None) -> str:
    """The reader's word for an interaction kind a snapshot kept as its code ('' when unknown)."""
    from interactions.models import InteractionKind

    try:
        return str(InteractionKind(kind).label)
    except ValueError:
        return ""


@register.filter
def period_label(period, which: str = "current") -> str:
    """A snapshot period's quarter (``which``: current or previous) named in the reader's language; the label the
    snapshot stored when its key cannot be read."""
    from core.dates import Quarter

    period = period or {}
    stored = (period.get("previous") or {}).get("label", "") if which == "previous" else period.get("label", "")
    try:
        quarter = Quarter.parse(period.get("quarter") or "")
    except (TypeError, ValueError):
        return stored
    return str((quarter.previous() if which == "previous" else quarter).label)
