"""Pages a client's contact opens from a link, without logging in (the shared plan, a survey answer): the headers
that keep them private, the per-address rate limit, and the contact's own language. One home for all of them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


def private(response: HttpResponse) -> HttpResponse:
    """Not for search engines, never cached, and no token in the Referer of links leaving the site."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    # same-origin, not no-referrer: browsers send "Origin: null" under no-referrer, which fails the CSRF check.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store, private"
    return response


def too_many_requests(request: HttpRequest, *, scope: str = "public") -> bool:
    """More than PUBLIC_PAGE_REQUESTS_PER_MINUTE requests from this address in this minute (the cache counts)."""
    minute = timezone.now().strftime("%Y%m%d%H%M")
    key = f"{scope}:rate:{request.META.get('REMOTE_ADDR', '-')}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    return count > settings.SHARING_REQUESTS_PER_MINUTE


def language_supported(language: str) -> bool:
    return language in {code for code, _name in settings.LANGUAGES}


@contextlib.contextmanager
def speaking(language: str, *, default: str | None = None) -> Iterator[None]:
    """Run the block in ``language`` (a contact's choice); blank: ``default`` if given (an e-mail: the company's
    LANGUAGE_CODE), else the language already active (a page: what the browser asked for)."""
    chosen = language if language and language_supported(language) else default
    if not chosen:
        yield
        return
    with translation.override(chosen):
        yield
