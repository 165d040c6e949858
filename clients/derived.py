"""Client fields that an app to the right derives and keeps (DESIGN.md: denormalised facts).

``contracts`` derives ARR, currency, contract start and renewal date from a client's contracts once it has
any. ``clients`` cannot import it, so the deriving app registers a provider from its ``AppConfig.ready()``:
``provider(client) -> set of field names`` it keeps for that client. The client form shows those fields
read-only and ``client_update`` refuses to change them by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clients.models import Client

Provider = Callable[["Client"], set[str]]

_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def derived_fields(client: Client) -> set[str]:
    """The fields of ``client`` that another app keeps (empty for a new client)."""
    if client.pk is None:
        return set()
    fields: set[str] = set()
    for provider in _providers:
        fields |= provider(client)
    return fields
