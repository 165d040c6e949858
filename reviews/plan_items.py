"""The lists inside an account plan (objectives, opportunities, stakeholder strategy, risks).

Each list is kept as validated JSON on the plan, so one history row holds the whole plan
and "what changed since the last review" is a comparison of two plain dicts. Pure: no
database; ``normalise_*`` raise ``ValidationError`` with the row number in every message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.formats import format_amount

MAX_ITEMS = 30
MAX_TEXT = 500

OBJECTIVE_STATUSES = {
    "not_started": pgettext_lazy("objective status", "Not started"),
    "on_track": pgettext_lazy("objective status", "On track"),
    "at_risk": pgettext_lazy("objective status", "At risk"),
    "achieved": pgettext_lazy("objective status", "Achieved"),
    "dropped": pgettext_lazy("objective status", "Dropped"),
}
OPPORTUNITY_KINDS = {"upsell": _("Upsell"), "cross_sell": _("Cross-sell")}
OPPORTUNITY_STAGES = {
    "identified": pgettext_lazy("opportunity stage", "Identified"),
    "qualified": pgettext_lazy("opportunity stage", "Qualified"),
    "proposed": pgettext_lazy("opportunity stage", "Proposal sent"),
    "won": pgettext_lazy("opportunity stage", "Won"),
    "lost": pgettext_lazy("opportunity stage", "Lost"),
}
LEVELS = {
    "low": pgettext_lazy("risk impact", "Low"),
    "medium": pgettext_lazy("risk impact", "Medium"),
    "high": pgettext_lazy("risk impact", "High"),
}

# The kinds of row, by the English key the code passes around: the row's name (as in "Objective 2"), the
# list's name, and the limit on its length (a plural for the reader's language).
_ROW_KINDS = {
    "Objective": (
        pgettext_lazy("plan row", "Objective"),
        _("Objectives"),
        lambda n: ngettext("At most %(count)s objective in a plan.", "At most %(count)s objectives in a plan.", n),
    ),
    "Opportunity": (
        pgettext_lazy("plan row", "Opportunity"),
        _("Opportunities"),
        lambda n: ngettext("At most %(count)s opportunity in a plan.", "At most %(count)s opportunities in a plan.", n),
    ),
    "Stakeholder": (
        pgettext_lazy("plan row", "Stakeholder"),
        _("Stakeholders"),
        lambda n: ngettext("At most %(count)s stakeholder in a plan.", "At most %(count)s stakeholders in a plan.", n),
    ),
    "Risk": (
        pgettext_lazy("plan row", "Risk"),
        _("Risks"),
        lambda n: ngettext("At most %(count)s risk in a plan.", "At most %(count)s risks in a plan.", n),
    ),
}


def _row(what: str, row: int) -> dict[str, object]:
    """The placeholders naming one row in a message: ``%(what)s %(row)s`` reads "Objective 2"."""
    return {"what": _ROW_KINDS[what][0] if what in _ROW_KINDS else what, "row": row}


_SPACES = re.compile(r"\s+")


def _text(value: object, *, what: str, row: int, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = _SPACES.sub(" ", str(value or "")).strip()
    if required and not text:
        raise ValidationError(gettext("%(what)s %(row)s: this is empty.") % _row(what, row))
    if len(text) > limit:
        raise ValidationError(
            gettext("%(what)s %(row)s: keep it under %(limit)s characters.") % {**_row(what, row), "limit": limit}
        )
    return text


def _choice(value: object, choices: dict[str, str], *, what: str, field: str, row: int, default: str) -> str:
    value = str(value or "").strip() or default
    if value not in choices:
        raise ValidationError(
            # Translators: %(field)s and the choices are the API's field name and codes; keep them as they are
            gettext("%(what)s %(row)s: %(field)s must be one of %(choices)s (not %(value)s).")
            % {**_row(what, row), "field": field, "choices": ", ".join(choices), "value": repr(value)}
        )
    return value


def _rows(items: object, what: str) -> list[dict]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError(gettext("%(section)s must be a list.") % {"section": _ROW_KINDS[what][1]})
    if len(items) > MAX_ITEMS:
        raise ValidationError(_ROW_KINDS[what][2](MAX_ITEMS) % {"count": MAX_ITEMS})
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValidationError(gettext("%(what)s %(row)s: expected an object.") % _row(what, index))
    return items


def _amount(value: object, *, what: str, row: int) -> str | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationError(
            gettext("%(what)s %(row)s: the estimated value %(value)s is not a number.")
            % {**_row(what, row), "value": repr(value)}
        ) from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationError(gettext("%(what)s %(row)s: the estimated value cannot be negative.") % _row(what, row))
    if amount >= Decimal("1e13"):
        raise ValidationError(gettext("%(what)s %(row)s: the estimated value is implausibly large.") % _row(what, row))
    return str(amount.quantize(Decimal("0.01")))


def _unique(result: list[dict], key: str, what: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(result, start=1):
        marker = item[key].casefold()
        if marker in seen:
            raise ValidationError(
                gettext("%(what)s %(row)s: “%(name)s” is listed twice.") % {**_row(what, index), "name": item[key]}
            )
        seen.add(marker)


def normalise_objectives(items: object) -> list[dict]:
    result = []
    for row, item in enumerate(_rows(items, "Objective"), start=1):
        result.append(
            {
                "objective": _text(item.get("objective"), what="Objective", row=row),
                "target": _text(item.get("target"), what="Objective", row=row, required=False, limit=200),
                "status": _choice(
                    item.get("status"),
                    OBJECTIVE_STATUSES,
                    what="Objective",
                    field="status",
                    row=row,
                    default="on_track",
                ),
                # Shown to the client on the shared plan page (sharing/), with nothing else of the plan.
                "shared": bool(item.get("shared")) and str(item.get("shared")).lower() not in {"false", "0", "off"},
            }
        )
    _unique(result, "objective", "Objective")
    return result


def normalise_opportunities(items: object) -> list[dict]:
    result = []
    for row, item in enumerate(_rows(items, "Opportunity"), start=1):
        result.append(
            {
                "title": _text(item.get("title"), what="Opportunity", row=row, limit=200),
                "kind": _choice(
                    item.get("kind"), OPPORTUNITY_KINDS, what="Opportunity", field="kind", row=row, default="upsell"
                ),
                "estimated_value": _amount(item.get("estimated_value"), what="Opportunity", row=row),
                "stage": _choice(
                    item.get("stage"),
                    OPPORTUNITY_STAGES,
                    what="Opportunity",
                    field="stage",
                    row=row,
                    default="identified",
                ),
            }
        )
    _unique(result, "title", "Opportunity")
    return result


def normalise_stakeholders(items: object, *, contact_names: dict[int, str] | None = None) -> list[dict]:
    """``contact_names``: the client's contacts (id -> name); a row names a contact or a person in words."""
    contact_names = contact_names or {}
    result = []
    for row, item in enumerate(_rows(items, "Stakeholder"), start=1):
        contact = item.get("contact")
        if contact in ("", None):
            contact = None
        else:
            try:
                contact = int(contact)
            except (TypeError, ValueError) as exc:
                raise ValidationError(
                    gettext("%(what)s %(row)s: %(value)s is not a contact id.")
                    % {**_row("Stakeholder", row), "value": repr(contact)}
                ) from exc
            if contact not in contact_names:
                raise ValidationError(
                    gettext("%(what)s %(row)s: that contact does not belong to this client.") % _row("Stakeholder", row)
                )
        who = _text(item.get("who"), what="Stakeholder", row=row, required=False, limit=200)
        if contact is not None:
            who = contact_names[contact]
        if not who:
            raise ValidationError(
                gettext("%(what)s %(row)s: choose a contact or write who it is.") % _row("Stakeholder", row)
            )
        result.append(
            {
                "contact": contact,
                "who": who,
                "how": _text(item.get("how"), what="Stakeholder", row=row),
            }
        )
    _unique(result, "who", "Stakeholder")
    return result


def normalise_risks(items: object) -> list[dict]:
    result = []
    for row, item in enumerate(_rows(items, "Risk"), start=1):
        result.append(
            {
                "risk": _text(item.get("risk"), what="Risk", row=row),
                "impact": _choice(item.get("impact"), LEVELS, what="Risk", field="impact", row=row, default="medium"),
                "mitigation": _text(item.get("mitigation"), what="Risk", row=row, required=False),
            }
        )
    _unique(result, "risk", "Risk")
    return result


# --- what changed --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanChange:
    section: str  # "Objectives", "Revenue target"…
    kind: str  # added / removed / changed
    text: str


# section, plan field, the item's identifying key, its compared fields with labels and value names
LIST_SECTIONS: tuple[tuple[str, str, str, dict[str, tuple[str, dict[str, str] | None]]], ...] = (
    (
        _("Objectives"),
        "objectives",
        "objective",
        {"target": (pgettext_lazy("plan change", "target"), None), "status": (_("status"), OBJECTIVE_STATUSES)},
    ),
    (
        _("Growth opportunities"),
        "opportunities",
        "title",
        {
            "kind": (pgettext_lazy("kind of opportunity", "kind"), OPPORTUNITY_KINDS),
            "estimated_value": (_("estimated value"), None),
            "stage": (_("stage"), OPPORTUNITY_STAGES),
        },
    ),
    (_("Stakeholder strategy"), "stakeholders", "who", {"how": (_("approach"), None)}),
    (_("Risks"), "risks", "risk", {"impact": (_("impact"), LEVELS), "mitigation": (_("mitigation"), None)}),
)
SCALAR_FIELDS = (("hypothesis", _("Business goal (hypothesis)")), ("revenue_target", _("Revenue target")))


def _shown(value: Any, names: dict[str, str] | None = None) -> str:
    if value in (None, ""):
        return "—"
    if names:
        return names.get(str(value), str(value))
    return str(value)


def plan_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[PlanChange]:
    """Differences between two states of a plan (dicts of its fields); ``before`` None: all new."""
    before = before or {}
    changes: list[PlanChange] = []
    for field, label in SCALAR_FIELDS:
        old, new = before.get(field), after.get(field)
        if field == "revenue_target":
            old = None if old in (None, "") else Decimal(str(old))
            new = None if new in (None, "") else Decimal(str(new))
            old_text = format_amount(old)
            new_text = format_amount(new)
        else:
            old, new = (old or "").strip(), (new or "").strip()
            old_text, new_text = _shown(old), _shown(new)
        if old != new:
            changes.append(PlanChange(label, "changed", f"{old_text} → {new_text}"))
    for section, field, key, compared in LIST_SECTIONS:
        old_items = {str(i.get(key, "")).casefold(): i for i in before.get(field) or []}
        new_items = {str(i.get(key, "")).casefold(): i for i in after.get(field) or []}
        for marker, item in new_items.items():
            if marker not in old_items:
                changes.append(PlanChange(section, "added", str(item.get(key))))
                continue
            old_item = old_items[marker]
            parts = [
                # Translators: one field of a plan row that changed, e.g. "status On track → At risk"
                gettext("%(field)s %(old)s → %(new)s")
                % {"field": name, "old": _shown(old_item.get(attr), names), "new": _shown(item.get(attr), names)}
                for attr, (name, names) in compared.items()
                if _shown(old_item.get(attr)) != _shown(item.get(attr))
            ]
            if parts:
                changes.append(PlanChange(section, "changed", f"{item.get(key)}: {'; '.join(parts)}"))
        for marker, item in old_items.items():
            if marker not in new_items:
                changes.append(PlanChange(section, "removed", str(item.get(key))))
    return changes
