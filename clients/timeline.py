"""The account timeline: one list, newest first, fed by every app that has something to say.

``clients`` cannot import the apps to its right, so each app registers a provider
here from its AppConfig.ready(). A provider answers two questions for a client and
a viewer: how many entries it has (for pagination) and its newest N entries. The
timeline merges the providers' newest ``page * size`` entries, so a page costs a
fixed number of queries (two per provider) whatever the history's length.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from clients.models import Client
    from users.models import User


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # call, email, meeting, note, followup, handoff, review, change
    title: str
    body: str = ""
    actor: str = ""
    url: str = ""
    badges: tuple[str, ...] = ()
    private: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class TimelineProvider:
    kinds: tuple[str, ...]
    count: Callable[[Client, User, set[str]], int]
    newest: Callable[[Client, User, set[str], int], Iterable[TimelineEntry]]


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    number: int
    size: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.total

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.size))


_providers: list[TimelineProvider] = []

KIND_LABELS = {
    "call": _("Calls"),
    "email": _("E-mails"),
    "meeting": _("Meetings"),
    "note": _("Notes"),
    "followup": _("Follow-ups"),
    "handoff": _("Handoffs"),
    "review": _("Reviews"),
    "shared": _("Shared plan"),
    "survey": _("Surveys"),
    "change": _("Record changes"),
    "invoice": _("Invoices"),
    "document": _("Documents"),
}


def register(provider: TimelineProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def timeline_page(
    *, client: Client, user: User, kinds: set[str] | None = None, page: int = 1, size: int = 20
) -> TimelinePage:
    """Entries of one page; ``kinds`` limits to some kinds (None: all)."""
    wanted = set(kinds) if kinds else set(KIND_LABELS)
    page = max(1, page)
    active = [p for p in _providers if wanted & set(p.kinds)]
    total = sum(p.count(client, user, wanted) for p in active)
    page = min(page, max(1, -(-total // size)))
    limit = page * size
    streams = [list(p.newest(client, user, wanted, limit)) for p in active]
    merged = heapq.merge(*streams, key=lambda entry: entry.at, reverse=True)
    entries = list(merged)[(page - 1) * size : limit]
    return TimelinePage(entries=entries, number=page, size=size, total=total)
