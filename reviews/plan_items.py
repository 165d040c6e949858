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

MAX_ITEMS = 30
MAX_TEXT = 500

OBJECTIVE_STATUSES = {
    "not_started": "Not started",
    "on_track": "On track",
    "at_risk": "At risk",
    "achieved": "Achieved",
    "dropped": "Dropped",
}
OPPORTUNITY_KINDS = {"upsell": "Upsell", "cross_sell": "Cross-sell"}
OPPORTUNITY_STAGES = {
    "identified": "Identified",
    "qualified": "Qualified",
    "proposed": "Proposal sent",
    "won": "Won",
    "lost": "Lost",
}
LEVELS = {"low": "Low", "medium": "Medium", "high": "High"}

_SPACES = re.compile(r"\s+")


def _text(value: object, *, what: str, row: int, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = _SPACES.sub(" ", str(value or "")).strip()
    if required and not text:
        raise ValidationError(f"{what} {row}: this is empty.")
    if len(text) > limit:
        raise ValidationError(f"{what} {row}: keep it under {limit} characters.")
    return text


def _choice(value: object, choices: dict[str, str], *, what: str, field: str, row: int, default: str) -> str:
    value = str(value or "").strip() or default
    if value not in choices:
        raise ValidationError(f"{what} {row}: {field} must be one of {', '.join(choices)} (not {value!r}).")
    return value


def _rows(items: object, what: str) -> list[dict]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError(f"{what}s must be a list.")
    if len(items) > MAX_ITEMS:
        raise ValidationError(f"At most {MAX_ITEMS} {what.lower()}s in a plan.")
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValidationError(f"{what} {index}: expected an object.")
    return items


def _amount(value: object, *, what: str, row: int) -> str | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationError(f"{what} {row}: the estimated value {value!r} is not a number.") from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationError(f"{what} {row}: the estimated value cannot be negative.")
    if amount >= Decimal("1e13"):
        raise ValidationError(f"{what} {row}: the estimated value is implausibly large.")
    return str(amount.quantize(Decimal("0.01")))


def _unique(result: list[dict], key: str, what: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(result, start=1):
        marker = item[key].casefold()
        if marker in seen:
            raise ValidationError(f"{what} {index}: “{item[key]}” is listed twice.")
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
                raise ValidationError(f"Stakeholder {row}: {contact!r} is not a contact id.") from exc
            if contact not in contact_names:
                raise ValidationError(f"Stakeholder {row}: that contact does not belong to this client.")
        who = _text(item.get("who"), what="Stakeholder", row=row, required=False, limit=200)
        if contact is not None:
            who = contact_names[contact]
        if not who:
            raise ValidationError(f"Stakeholder {row}: choose a contact or write who it is.")
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
    ("Objectives", "objectives", "objective", {"target": ("target", None), "status": ("status", OBJECTIVE_STATUSES)}),
    (
        "Growth opportunities",
        "opportunities",
        "title",
        {
            "kind": ("kind", OPPORTUNITY_KINDS),
            "estimated_value": ("estimated value", None),
            "stage": ("stage", OPPORTUNITY_STAGES),
        },
    ),
    ("Stakeholder strategy", "stakeholders", "who", {"how": ("approach", None)}),
    ("Risks", "risks", "risk", {"impact": ("impact", LEVELS), "mitigation": ("mitigation", None)}),
)
SCALAR_FIELDS = (("hypothesis", "Business goal (hypothesis)"), ("revenue_target", "Revenue target"))


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
            old_text = "—" if old is None else f"{old:,.0f}"
            new_text = "—" if new is None else f"{new:,.0f}"
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
                f"{name} {_shown(old_item.get(attr), names)} → {_shown(item.get(attr), names)}"
                for attr, (name, names) in compared.items()
                if _shown(old_item.get(attr)) != _shown(item.get(attr))
            ]
            if parts:
                changes.append(PlanChange(section, "changed", f"{item.get(key)}: {'; '.join(parts)}"))
        for marker, item in old_items.items():
            if marker not in new_items:
                changes.append(PlanChange(section, "removed", str(item.get(key))))
    return changes
