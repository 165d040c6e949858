"""The one error shape of the API.

Every error answer under ``/api/`` is::

    {"error": {"code": "stale_version", "message": "…", "fields": {"version": ["…"]}},
     "detail": "…",            # the same message: kept for clients written against the first API
     "request_id": "…"}        # also in the X-Request-ID header; quote it when reporting a problem

``fields`` maps a field name to its messages (validation errors), and is ``{}`` otherwise.
DRF's exception handler (``core/api.py``) builds it from the exception; ``ApiErrorMiddleware``
gives the same shape to anything else that answers an error under ``/api/`` (unknown paths, errors
raised before DRF, a 500 or 503, a view that returns its own error body).
"""

from __future__ import annotations

import re
from http import HTTPStatus

from django.utils.translation import gettext_lazy as _

API_PREFIX = "/api/"

DEFAULTS = {
    400: ("invalid", _("The request is not valid.")),
    401: ("not_authenticated", _("Authentication credentials were not provided or are not valid.")),
    403: ("permission_denied", _("You do not have permission to perform this action.")),
    404: ("not_found", _("Not found.")),
    405: ("method_not_allowed", _("This method is not allowed here.")),
    406: ("not_acceptable", _("The API answers in JSON only.")),
    409: ("conflict", _("The request conflicts with the current state of the record.")),
    413: ("too_large", _("The request body is too large.")),
    415: ("unsupported_media_type", _("Send the request body as JSON.")),
    429: ("throttled", _("Too many requests; slow down and try again later.")),
    500: ("server_error", _("Something went wrong on our side; it has been logged. Quote the request id.")),
    503: ("unavailable", _("The service is temporarily unavailable; try again in a minute.")),
}


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def default_code_and_message(status: int) -> tuple[str, str]:
    if status in DEFAULTS:
        code, message = DEFAULTS[status]
        return code, str(message)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_"), phrase


def _text(value) -> str | None:
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list | tuple) and value and all(isinstance(item, str) for item in value):
        return " ".join(str(item) for item in value)
    return None


def error_body(
    *, status: int, code: str | None = None, message: str | None = None, fields: dict | None = None,
    request_id: str | None = None,
) -> dict:  # fmt: skip
    default_code, default_message = default_code_and_message(status)
    message = str(message) if message else default_message
    return {
        "error": {"code": code or default_code, "message": message, "fields": fields or {}},
        "detail": message,
        "request_id": request_id,
    }


def error_body_from_data(data, *, status: int, code: str | None = None, request_id: str | None = None) -> dict:
    """The envelope for an error body in any of the shapes DRF and the views produce.

    ``{"detail": …, "code": …}`` (DRF and the service errors), ``{"field": ["…"], …}`` and ``["…"]``
    (validation errors), or a view's own body (e.g. the KPI batch result), whose keys are kept.
    """
    fields: dict = {}
    message = None
    extra: dict = {}
    if isinstance(data, dict):
        if isinstance(data.get("error"), dict):  # already in shape
            return {**data, "request_id": data.get("request_id") or request_id}
        message = _text(data.get("detail"))
        code = code or (data["code"] if isinstance(data.get("code"), str) else None)
        if "detail" not in data and status == 400 and all(isinstance(v, list | dict) for v in data.values()):
            fields = {key: value for key, value in data.items() if key != "non_field_errors"}
            message = _text(data.get("non_field_errors"))
            if not message and len(fields) == 1:
                message = _text(next(iter(fields.values())))
            if not message and fields:
                message = _("Check these fields: %(names)s.") % {"names": ", ".join(sorted(fields))}
        else:
            extra = {key: value for key, value in data.items() if key not in {"detail", "code"}}
    elif isinstance(data, list):
        message = _text(data)
    body = error_body(status=status, code=code, message=message, fields=fields, request_id=request_id)
    return {**extra, **body}
