"""Apply the signed-in user's own language and time zone to every request, without a database query.

Both travel in cookies the user's own responses set: Django's language cookie (read by LocaleMiddleware, before
this) and a time zone cookie (read here). Whenever a view has loaded the signed-in user anyway, the response
brings the cookies in line with their preferences, so a choice made on one device reaches the next one at its
first page. A blank language keeps whatever the browser (or the login page's switch) says; a blank time zone
keeps the company's (settings.TIME_ZONE).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

TIME_ZONE_COOKIE = "crm_time_zone"
_YEAR = 365 * 24 * 60 * 60


def _zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class UserPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = _zone(request.COOKIES.get(TIME_ZONE_COOKIE))
        if zone is not None:
            timezone.activate(zone)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        user = getattr(request, "_cached_user", None)  # set only when something loaded the user: no extra query
        if user is not None and user.is_authenticated:
            self._sync(request, response, user)
        return response

    @staticmethod
    def _sync(request: HttpRequest, response: HttpResponse, user) -> None:
        secure = {"secure": settings.SESSION_COOKIE_SECURE, "httponly": True, "samesite": "Lax"}
        if user.language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != user.language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=_YEAR, **secure)
        if user.time_zone and request.COOKIES.get(TIME_ZONE_COOKIE) != user.time_zone:
            response.set_cookie(TIME_ZONE_COOKIE, user.time_zone, max_age=_YEAR, **secure)
        elif not user.time_zone and TIME_ZONE_COOKIE in request.COOKIES:
            response.delete_cookie(TIME_ZONE_COOKIE, samesite="Lax")
