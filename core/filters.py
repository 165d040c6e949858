"""Filters that refuse what they cannot read, for the list pages and every list endpoint.

django-filter's BooleanFilter reads an unknown value ("maybe") as "no filter" and returns everything;
an API client with a typo would silently get every record. Here an unknown value is a validation
error naming the parameter (HTTP 400 in the API, a message on the field in a page).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as RestFilterSet

TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off"}
ANY_WORDS = {"", "unknown", "any"}


class YesNoSelect(forms.Select):
    """Any / Yes / No; hands the raw value to the field so that a wrong one can be refused."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])

    def format_value(self, value):
        if value is True:
            return ["true"]
        if value is False:
            return ["false"]
        return super().format_value(value)


class StrictBooleanField(forms.Field):
    widget = YesNoSelect
    default_error_messages = {"invalid": _("“%(value)s” is not a yes/no value: use true or false.")}

    def to_python(self, value):
        if value is None or value is True or value is False:
            return value
        word = str(value).strip().lower()
        if word in ANY_WORDS:
            return None
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value})

    def validate(self, value):
        """``None`` means "no filter", so an empty value is always fine."""


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictFilterSet(RestFilterSet):
    """The base of every filter set: boolean filters refuse unknown values."""

    FILTER_DEFAULTS = {
        **RestFilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.NullBooleanField: {"filter_class": StrictBooleanFilter},
    }


class StrictFilterBackend(DjangoFilterBackend):
    """Filter sets built from a view's ``filterset_fields`` use the strict base too."""

    filterset_base = StrictFilterSet
