"""Facts read through providers: how a lower app reads what a higher one owns, without importing it.

DESIGN.md's import chain lets an app import only the apps to its left. Where a lower app must *read* a fact a
higher one keeps (the rules and the health score read when a client's last review was held, which ``reviews``
owns), the owner registers a provider in ``AppConfig.ready()`` under the fact's name and every reader asks
``providers(name)``: one registration however many readers. (``core.events`` is the other direction: a lower app
starting work in a higher one.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Provider = Callable[..., Any]

# ``provider(client_ids=, day=, moment=, cache=None) -> {client id: the last day a review was held, up to day}``,
# as recorded by ``moment`` (point in time); ``cache`` (a dict a replay of many days keeps) lets it read once.
LAST_REVIEW = "last_review"
# ``provider(client_ids=, day=, moment=, cache=None) -> {client id: [(contact's name, score, days before day)]}``:
# the NPS answers received on or before ``day`` and recorded by ``moment``.
NPS_ANSWERS = "nps_answers"

_providers: dict[str, list[Provider]] = defaultdict(list)


def provide(fact: str, provider: Provider) -> None:
    """Register ``provider`` for ``fact``; registering the same one twice keeps one."""
    if provider not in _providers[fact]:
        _providers[fact].append(provider)


def providers(fact: str) -> tuple[Provider, ...]:
    return tuple(_providers.get(fact, ()))
