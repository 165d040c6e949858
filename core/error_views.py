"""Error handlers (``handler500`` in the root URLconf).

A database that cannot be reached or answer (``OperationalError`` / ``InterfaceError``: server down,
connection refused or dropped) is a 503 with ``Retry-After``, not a 500: JSON under /api/, a plain
page elsewhere. The page is rendered without a request context, so it needs nothing from the database.
Django has already logged the exception (and Sentry has it) when this runs.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from core.api_errors import error_body, is_api_path

RETRY_AFTER_SECONDS = 30


def database_is_down(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path_info):
        response = JsonResponse(error_body(status=503, request_id=getattr(request, "request_id", None)), status=503)
    else:
        html = loader.render_to_string("503.html", {"request_id": getattr(request, "request_id", None)})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    if database_is_down(sys.exc_info()[1]):
        return service_unavailable(request)
    if is_api_path(request.path_info):
        return JsonResponse(error_body(status=500, request_id=getattr(request, "request_id", None)), status=500)
    return defaults.server_error(request)
