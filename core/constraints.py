"""Database constraints said in words, on the field they are about.

A model lists which field each of its constraints is about (``constraint_fields``) and gives each constraint a
``violation_error_message``. ``FieldConstraintsMixin`` then puts a failed check on that field in ``full_clean``
(Django would put it at the top of the form, as "Constraint “client_arr_non_negative” is violated."), and
``integrity_error_field`` turns an ``IntegrityError`` that the database raised anyway (a race, a bulk write)
into the same (field, sentence), so a form or the API's 400 names the field.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, router
from django.utils.translation import gettext as _


class FieldConstraintsMixin(models.Model):
    # constraint name -> the field its violation is shown on
    constraint_fields: dict[str, str] = {}

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None) -> None:
        """Django's own loop over the constraints, with each failed one put on its field."""
        using = router.db_for_write(self.__class__, instance=self)
        errors: dict = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    field = self.constraint_fields.get(constraint.name)
                    fields = getattr(constraint, "fields", ())
                    if field is None and getattr(error, "code", None) == "unique" and len(fields) == 1:
                        field = fields[0]
                    if field is not None:
                        errors.setdefault(field, []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def _constraint_name(exc: IntegrityError) -> str:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):  # PostgreSQL
        return diag.constraint_name
    text = str(exc)
    match = re.search(r"CHECK constraint failed: (\w+)", text)  # SQLite
    if match:
        return match[1]
    return ""


def integrity_error_field(exc: IntegrityError, model: type[models.Model]) -> tuple[str | None, str]:
    """(field or None, sentence) for a constraint the database refused."""
    name = _constraint_name(exc)
    for constraint in model._meta.constraints:
        if constraint.name == name:
            field = getattr(model, "constraint_fields", {}).get(name)
            if field is None and getattr(constraint, "fields", None) and len(constraint.fields) == 1:
                field = constraint.fields[0]
            message = constraint.violation_error_message
            if not message or "%(name)s" in str(message):
                message = _("This value conflicts with another record.")
            return field, str(message)
    if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
        return None, _("This change conflicts with another record (a duplicate id?).")
    return None, _("This change was refused by the database; check the values and try again.")
