"""``?page_size=`` on list endpoints (core.api.PageNumberPagination): the client list in pages of 100, as the
backend and bench/pages_bench.py read it, costs the same queries for 5 and 200 clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from clients.tests.test_queries import CLIENT_LIST_API_QUERIES, _portfolio


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("size", [5, 200])
def test_client_list_endpoint_in_pages_of_100(
    django_assert_max_num_queries, lead_lena, am_alice, am_bob, sales_sam, size
):
    _portfolio(size, owners=[am_alice, am_bob], team=lead_lena.team, sales_owner=sales_sam)
    api = APIClient()
    api.force_authenticate(lead_lena)

    with django_assert_max_num_queries(CLIENT_LIST_API_QUERIES):
        response = api.get("/api/v1/clients/?page_size=100")

    assert response.status_code == 200
    assert response.data["count"] == size
    assert len(response.data["results"]) == min(size, 100)


def test_page_size_is_capped(lead_lena):
    api = APIClient()
    api.force_authenticate(lead_lena)
    response = api.get("/api/v1/clients/?page_size=100000")
    assert response.status_code == 200  # capped at max_page_size, not refused
