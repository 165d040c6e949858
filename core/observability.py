"""Request and task context for logs and error reports.

The request id (``RequestIdMiddleware``) and the Celery task id and name (``connect_celery``) live in
contextvars, so every log line written while serving a request or running a task can carry them
(``core.logging``), and an error report to Sentry is tagged with them. Sentry itself is optional:
``init_sentry`` is only called (and ``sentry_sdk`` only imported) when ``SENTRY_DSN`` is set.
"""

from __future__ import annotations

import logging.config
import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it is a plain token (what proxies and load balancers send: UUIDs, hex,
# "Root=1-…"); anything else (spaces, quotes, control characters, very long values) is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("task_id", default=None)
task_name_var: ContextVar[str | None] = ContextVar("task_name", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str | None:
    """The incoming id if it is a sane token, else None (the caller makes a new one)."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def current_context() -> dict[str, str | None]:
    return {"request_id": request_id_var.get(), "task_id": task_id_var.get(), "task_name": task_name_var.get()}


def clear_request_context(**_kwargs) -> None:
    """``request_finished`` receiver: after the response is closed (and logged), the thread forgets the id."""
    request_id_var.set(None)


# --- Celery ------------------------------------------------------------------------------------------------------

_task_tokens: dict[str, list] = {}


def _task_prerun(task_id=None, task=None, **_kwargs) -> None:
    tokens = [task_id_var.set(task_id), task_name_var.set(getattr(task, "name", None))]
    # Queued from a request: the id travelled in the message headers (``_before_task_publish``).
    # Run eagerly inside a request: the request's id is already in the context and stays.
    incoming = clean_request_id(getattr(getattr(task, "request", None), "request_id", None))
    if incoming:
        tokens.append(request_id_var.set(incoming))
    _task_tokens.setdefault(task_id, []).append(tokens)


def _task_postrun(task_id=None, **_kwargs) -> None:
    stack = _task_tokens.get(task_id)
    if not stack:
        return
    tokens = stack.pop()
    if not stack:
        del _task_tokens[task_id]
    for token in reversed(tokens):
        token.var.reset(token)


def _before_task_publish(headers=None, **_kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


def _setup_logging(**_kwargs) -> None:
    """Workers and beat log through the project's LOGGING (same format, task ids) instead of Celery's own."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def connect_celery() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="core.observability.task_prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="core.observability.task_postrun")
    signals.before_task_publish.connect(
        _before_task_publish, weak=False, dispatch_uid="core.observability.before_task_publish"
    )
    signals.setup_logging.connect(_setup_logging, weak=False, dispatch_uid="core.observability.setup_logging")


# --- Sentry ------------------------------------------------------------------------------------------------------


def _tag_with_context(event, _hint):
    tags = event.setdefault("tags", {})
    for key, value in current_context().items():
        if value:
            tags.setdefault(key, value)
    return event


def init_sentry(*, dsn: str, environment: str, release: str | None = None, traces_sample_rate: float = 0.0, **extra):
    """Error reports to Sentry (Django and Celery integrations); no personal data is sent."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_tag_with_context,
        **extra,
    )
