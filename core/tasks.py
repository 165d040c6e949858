"""The one task policy (DESIGN.md): every Celery task of the project is declared with ``@crm_task``.

- soft and hard time limits (``CELERY_TASK_SOFT_TIME_LIMIT`` / ``CELERY_TASK_TIME_LIMIT``, from the environment);
- acknowledged late and rejected when the worker is lost, so a task that did not finish is delivered again
  (every task is idempotent: take ids, call a service that can be repeated);
- automatic retries with exponential back-off and jitter for *transient* errors only (a dropped or refused
  database connection, the broker or Redis unreachable): ``TRANSIENT_ERRORS``;
- no result stored (``ignore_result``): nothing in the project reads a task's return value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Errors that say "try again in a moment", not "this work is wrong".
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseOperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    BrokerOperationalError,
    ConnectionError,  # the built-in: refused / reset sockets
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT_ERRORS)


def task_policy() -> dict[str, Any]:
    """The options ``crm_task`` gives every task (a task may override one with a reason)."""
    return {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "ignore_result": True,
        "soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT,
        "time_limit": settings.CELERY_TASK_TIME_LIMIT,
        "autoretry_for": TRANSIENT_ERRORS,
        "max_retries": settings.TASK_MAX_RETRIES,
        "retry_backoff": settings.TASK_RETRY_BACKOFF_SECONDS,
        "retry_backoff_max": settings.TASK_RETRY_BACKOFF_MAX_SECONDS,
        "retry_jitter": True,
    }


def crm_task(func: Callable | None = None, **overrides: Any):
    """``@crm_task`` or ``@crm_task(name=..., soft_time_limit=...)``: a shared task under the project's policy."""
    options = {**task_policy(), **overrides}
    if func is not None:
        return shared_task(**options)(func)
    return shared_task(**options)
