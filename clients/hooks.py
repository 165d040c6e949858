"""Extension point for apps to the right of clients (DESIGN.md import direction).

``clients`` must not import ``interactions``, yet accepting a handoff has to turn
the sales commitments into follow-ups. Apps register a callable here from their
AppConfig.ready(); the handoff service calls each one inside its own transaction,
so the follow-ups exist exactly when the acceptance does. This is an explicit
call from the service, not a model signal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clients.models import Handoff
    from users.models import User

HandoffAcceptedHook = Callable[["Handoff", "User"], None]

_handoff_accepted_hooks: list[HandoffAcceptedHook] = []


def register_handoff_accepted(hook: HandoffAcceptedHook) -> None:
    if hook not in _handoff_accepted_hooks:
        _handoff_accepted_hooks.append(hook)


def run_handoff_accepted(handoff: Handoff, by: User) -> None:
    for hook in _handoff_accepted_hooks:
        hook(handoff, by)
