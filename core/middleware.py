"""Request id on every request and response, and the one JSON error shape for everything under /api/."""

from __future__ import annotations

import json

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from core.api_errors import error_body_from_data, is_api_path
from core.observability import (
    REQUEST_ID_HEADER,
    clean_request_id,
    clear_request_context,
    new_request_id,
    request_id_var,
)


class RequestIdMiddleware:
    """Gives each request an id: the caller's ``X-Request-ID`` when it is a sane token, else a new one.

    The id is ``request.request_id``, in the context of every log line until the response is closed
    (Django logs 4xx/5xx after the middleware chain), and in the response's ``X-Request-ID`` header.
    Put it first in MIDDLEWARE.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        request_finished.connect(clear_request_context, dispatch_uid="core.observability.clear_request_context")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        request.request_id = request_id
        request_id_var.set(request_id)
        response = self.get_response(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response


class ApiErrorMiddleware:
    """Every error answer under /api/ in the shape of ``core.api_errors`` (JSON, with the request id).

    DRF's exception handler already answers in that shape; this covers the rest: unknown API paths
    (Django's HTML 404), errors raised before DRF runs, 500/503 pages and views that build their own
    error body. The response is changed in place, so headers set by other middleware stay.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming or not is_api_path(request.path_info):
            return response
        data = None
        if response.get("Content-Type", "").startswith("application/json"):
            try:
                data = json.loads(response.content)
            except ValueError:
                data = None
        request_id = getattr(request, "request_id", None)
        if isinstance(data, dict) and isinstance(data.get("error"), dict) and data.get("request_id"):
            return response  # DRF's handler did it
        body = error_body_from_data(data, status=response.status_code, request_id=request_id)
        response.content = json.dumps(body, ensure_ascii=False).encode()
        response["Content-Type"] = "application/json"
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
