"""Optimistic locking: the one version check for every record a user edits (clients, contacts, handoffs,
interactions, follow-ups, reviews, plans).

A versioned record has a ``version`` integer. A form or API request carries the version the user read; the
service re-reads the row under ``SELECT … FOR UPDATE`` and refuses the save when someone saved in between,
so an edit is never silently overwritten. Services bump ``version`` on every change they save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.errors import ConcurrentEditError, NotAllowedError

M = TypeVar("M", bound=Model)

STALE_FORM_MESSAGE = gettext_lazy("This form is out of date; reload the page.")
SEND_VERSION_MESSAGE = gettext_lazy("Send the version you read, so no edit is lost.")


def check_version(instance: Model, expected_version: int | None) -> None:
    """Refuse when the row's version is not the one the user read; ``None`` means the caller did not read one."""
    if expected_version is not None and instance.version != expected_version:
        raise ConcurrentEditError(
            _(
                "This %(what)s was changed by someone else after you opened it (your version %(yours)s, now "
                "%(now)s). Reload to see their changes, then apply yours again."
            )
            % {"what": instance._meta.verbose_name, "yours": expected_version, "now": instance.version}
        )


def lock_for_update(
    model_or_queryset: type[M] | QuerySet[M],
    pk: Any,
    expected_version: int | None,
    *,
    allowed: Callable[[M], bool] | None = None,
    refusal: str = "",
) -> M:
    """Re-read the row under a lock, check ``allowed`` on that current row, then refuse a stale version.

    The permission runs on the locked row, not on the caller's copy: the caller may hold an object loaded
    before someone reassigned the client. Must run inside a transaction (services are atomic).
    """
    queryset = model_or_queryset if isinstance(model_or_queryset, QuerySet) else model_or_queryset._default_manager
    instance = queryset.select_for_update().get(pk=pk)
    if allowed is not None and not allowed(instance):
        raise NotAllowedError(refusal)
    check_version(instance, expected_version)
    return instance


def save_audited(instance: Model, *, by: Any, update_fields: list[str] | None = None) -> None:
    """Save with the acting user recorded in the audit history (simple-history), also from the API or a task."""
    instance._history_user = by
    if update_fields is None:
        instance.save()
    else:
        instance.save(update_fields=update_fields)


class VersionedFormMixin(forms.Form):
    """The hidden ``version`` of a model form: required when editing, so a stale save is always detectable."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk:
            self.fields["version"].initial = instance.version
            self.fields["version"].required = True
            self.fields["version"].error_messages["required"] = STALE_FORM_MESSAGE

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")


class VersionedSerializerMixin(serializers.Serializer):
    """The ``version`` an API client read: required on every update (PUT/PATCH), answered with 409 if stale."""

    version = serializers.IntegerField(
        required=False, help_text=gettext_lazy("The version you read; required on PUT and PATCH (409 if stale).")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None and attrs.get("version") is None:
            raise serializers.ValidationError({"version": [SEND_VERSION_MESSAGE]})
        return attrs
