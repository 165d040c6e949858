"""Reading the client's audit trail for people: field labels, names instead of ids, choices in words.

One home for "what changed between two historical records", used by the history page and the
timeline. Foreign keys are resolved for all the records at once (one query per related model and
page, whatever the number of rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from clients.models import Client
from core.formats import format_day, format_moment

# Kept automatically by services (or bookkeeping): not news for a person reading the history.
QUIET_FIELDS = {"version", "updated_at", "created_at", "last_contact_at", "last_review_on", "contact_due_on"}


@dataclass(frozen=True)
class FieldChange:
    field: str  # the attribute name (stable, for tests and code)
    label: str  # the field's verbose name, as people read it
    old: str
    new: str


def _fields() -> list[models.Field]:
    return [f for f in Client._meta.concrete_fields if f.attname not in QUIET_FIELDS and f.attname != "id"]


def _related_names(raw: Iterable[tuple[models.Field, object, object]]) -> dict[type, dict[object, str]]:
    """{related model: {pk: str(object)}} for the foreign keys that changed (one query per model)."""
    wanted: dict[type, set[object]] = {}
    for field, old, new in raw:
        if field.is_relation:
            wanted.setdefault(field.related_model, set()).update(v for v in (old, new) if v is not None)
    return {
        model: {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=ids)} for model, ids in wanted.items()
    }


def _shown(field: models.Field, value: object, names: dict[type, dict[object, str]]) -> str:
    if value in (None, ""):
        return "—"
    if field.is_relation:
        return names.get(field.related_model, {}).get(value) or _("(deleted)")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, models.DateTimeField):
        return format_moment(value)
    if isinstance(field, models.DateField):
        return format_day(value)
    return str(value)


def record_changes(pairs: Sequence[tuple[object, object | None]]) -> list[list[FieldChange]]:
    """For each (record, previous record or None), the fields that differ, in words."""
    fields = _fields()
    raw = [
        [
            (field, getattr(previous, field.attname, None), getattr(record, field.attname, None))
            for field in fields
            if getattr(previous, field.attname, None) != getattr(record, field.attname, None)
        ]
        if previous is not None
        else []
        for record, previous in pairs
    ]
    names = _related_names(change for changes in raw for change in changes)
    return [
        [
            FieldChange(
                field=field.name,
                label=capfirst(str(field.verbose_name)),
                old=_shown(field, old, names),
                new=_shown(field, new, names),
            )
            for field, old, new in changes
        ]
        for changes in raw
    ]
