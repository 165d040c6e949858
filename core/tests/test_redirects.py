"""The one safe-``next`` helper (core/redirects.py)."""

import pytest
from django.test import RequestFactory

from core.redirects import safe_next_url

BAD = [
    "https://evil.example",
    "https://evil.example/path",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://testserver/over-plain-http",  # the site itself, but the request was HTTPS
]


@pytest.mark.parametrize("next_url", BAD)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_foreign_or_unsafe_next_gives_the_fallback(next_url, method):
    request = getattr(RequestFactory(), method)("/x/", {"next": next_url}, secure=True)
    assert safe_next_url(request, fallback="/flags/") == "/flags/"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_local_next_is_kept(method):
    request = getattr(RequestFactory(), method)("/x/", {"next": "/clients/?page=2&q=a"})
    assert safe_next_url(request, fallback="/flags/") == "/clients/?page=2&q=a"


def test_the_same_site_is_allowed_and_the_fallback_may_be_a_url_name():
    request = RequestFactory().post("/x/", {"next": "http://testserver/clients/"})
    assert safe_next_url(request, fallback="/flags/") == "http://testserver/clients/"
    assert safe_next_url(RequestFactory().post("/x/", {}), fallback="flags:list") == "/flags/"


def test_post_wins_over_the_query_string():
    request = RequestFactory().post("/x/?next=/from-get/", {"next": "/from-post/"})
    assert safe_next_url(request, fallback="/f/") == "/from-post/"
    assert safe_next_url(RequestFactory().post("/x/?next=/from-get/", {}), fallback="/f/") == "/from-get/"
