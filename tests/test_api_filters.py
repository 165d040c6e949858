"""Every list endpoint refuses a filter value it cannot read (400 naming the parameter), whatever the
filter's type; none silently ignores it and returns everything."""

from __future__ import annotations

import django_filters
import pytest
from rest_framework.test import APIClient

from accounts_crm.api_urls import router
from core.filters import StrictFilterBackend

# A value each kind of filter cannot read.
BAD_VALUES = [
    (django_filters.BooleanFilter, "maybe"),
    (django_filters.DateFilter, "31.02.2026x"),
    (django_filters.IsoDateTimeFilter, "yesterday"),
    (django_filters.NumberFilter, "many"),
    (django_filters.ModelChoiceFilter, "not-an-id"),
    (django_filters.ChoiceFilter, "no-such-choice"),
    (django_filters.TypedChoiceFilter, "no-such-choice"),
]


def _bad_value(filter_) -> str | None:
    return next((value for kind, value in BAD_VALUES if isinstance(filter_, kind)), None)


def _cases():
    backend = StrictFilterBackend()
    for prefix, viewset, basename in router.registry:
        if not hasattr(viewset, "list"):
            continue
        view = viewset()
        view.action = "list"
        view.request = None
        view.format_kwarg = None
        queryset = viewset.queryset if viewset.queryset is not None else None
        if queryset is None:
            model = getattr(getattr(viewset, "serializer_class", None), "Meta", None)
            queryset = model.model.objects.none() if model and hasattr(model, "model") else None
        if queryset is None:
            continue
        filterset_class = backend.get_filterset_class(view, queryset)
        if filterset_class is None:
            continue
        for name, filter_ in filterset_class.base_filters.items():
            value = _bad_value(filter_)
            if value is not None:
                yield pytest.param(f"/api/v1/{prefix}/", name, value, id=f"{basename}-{name}")


CASES = list(_cases())


def test_the_walk_covers_the_boolean_filters_that_were_ignored():
    ids = {case.id for case in CASES}
    assert {"client-is_key_account", "client-archived", "client-contact_overdue", "followup-is_commitment"} <= ids


@pytest.mark.parametrize(("url", "name", "value"), CASES)
def test_an_unreadable_filter_value_is_a_400_naming_the_parameter(admin_ada, url, name, value):
    api = APIClient()
    api.force_authenticate(admin_ada)

    response = api.get(url, {name: value})

    assert response.status_code == 400, (name, value, response.status_code)
    assert name in response.json()["error"]["fields"], response.json()


@pytest.mark.parametrize(("value", "expected"), [("true", 1), ("1", 1), ("false", 1), ("", 2)])
def test_readable_boolean_values_still_filter(admin_ada, value, expected):
    from tests.factories import ClientFactory

    ClientFactory(is_key_account=True)
    ClientFactory(is_key_account=False)
    api = APIClient()
    api.force_authenticate(admin_ada)

    response = api.get("/api/v1/clients/", {"is_key_account": value})

    assert response.status_code == 200
    assert response.json()["count"] == expected
