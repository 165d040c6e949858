"""The in-process event registry: how a lower app starts work in a higher one without importing it.

DESIGN.md's import chain lets an app import only the apps to its left. When an action of a lower app
must start work in a higher one (KPI values written -> health re-scores them), the lower app's service
calls ``publish`` explicitly inside its transaction and the higher app subscribes in
``AppConfig.ready()``. Unlike a post_save signal, the call is visible where the business action happens,
and it is the service, not a save, that decides an event took place.

Event names belong to the app that publishes them (a module-level constant there).
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

Handler = Callable[..., Any]

_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    """Register ``handler`` for ``event``; registering the same handler twice keeps one."""
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


@lru_cache(maxsize=256)
def _accepted(handler: Handler) -> frozenset[str] | None:
    """The keyword names ``handler`` takes, or None when it takes ``**kwargs`` (everything)."""
    parameters = inspect.signature(handler).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters if p.kind is not inspect.Parameter.POSITIONAL_ONLY)


def publish(event: str, **payload: Any) -> None:
    """Call every subscriber of ``event`` with the payload, in the caller's transaction.

    A subscriber receives the payload keys it names (all of them with ``**kwargs``), so a publisher may add
    a key (say, a ``display`` dict for notifications) without breaking the subscribers written before it.
    """
    for handler in list(_subscribers.get(event, ())):
        accepted = _accepted(handler)
        handler(**(payload if accepted is None else {k: v for k, v in payload.items() if k in accepted}))


def subscribers(event: str) -> tuple[Handler, ...]:
    return tuple(_subscribers.get(event, ()))
