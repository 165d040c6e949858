"""The one place a ``next`` parameter is turned into a redirect target.

A ``next`` (form field or query string) names where to go after an action. It is followed only when it stays on
this site: a path, or an absolute URL of the request's own host (with HTTPS when the request was HTTPS). Anything
else (``https://evil.example``, ``//evil.example``, ``/\\evil.example``, ``javascript:…``) gives the fallback.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, fallback: str, *, field: str = "next") -> str:
    """The request's ``next`` (POST first, then GET) when it is safe, else ``fallback`` (a URL name or path)."""
    candidate = request.POST.get(field) or request.GET.get(field) or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(fallback)
