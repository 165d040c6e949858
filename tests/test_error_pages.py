"""The product's own error pages: 403 and 404 with the menu, 500 with neither a database nor a request context."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.error_views import server_error

pytestmark = pytest.mark.django_db


def test_forbidden_page_has_the_menu_and_says_what_to_do(client, am_alice):
    client.force_login(am_alice)
    response = client.get(reverse("dashboards:portfolio"))  # leads and admins only
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot do this here" in page
    assert 'id="nav"' in page and "My clients" in page
    assert "403 Forbidden" not in page


def test_not_found_page_has_the_menu_and_a_search(client, am_alice):
    client.force_login(am_alice)
    response = client.get("/clients/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is nothing here" in page
    assert 'id="nav"' in page and 'name="q"' in page


def test_server_error_page_needs_no_database_or_request_context(django_assert_num_queries):
    request = RequestFactory().get("/clients/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
