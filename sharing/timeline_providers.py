"""Timeline entries from the shared plan page: what the client's contact did there (ticks and comments)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from clients.models import Client
from clients.timeline import TimelineEntry, TimelineProvider
from sharing.models import SharedEventKind, SharedPlanEvent
from users.models import User

_KINDS = [SharedEventKind.ITEM_DONE, SharedEventKind.ITEM_REOPENED, SharedEventKind.COMMENT]


def _events(client: Client):
    return SharedPlanEvent.objects.filter(client=client, kind__in=_KINDS)


def _count(client: Client, user: User, kinds: set[str]) -> int:
    return _events(client).count()


def _newest(client: Client, user: User, kinds: set[str], limit: int):
    for event in _events(client).select_related("link__contact").order_by("-at", "-pk")[:limit]:
        contact = str(event.link.contact)
        if event.kind == SharedEventKind.COMMENT:
            title, body = _("%(contact)s commented on the shared plan") % {"contact": contact}, event.detail
        elif event.kind == SharedEventKind.ITEM_DONE:
            title, body = _("%(contact)s ticked an action item done") % {"contact": contact}, event.detail
        else:
            title, body = _("%(contact)s reopened an action item") % {"contact": contact}, event.detail
        yield TimelineEntry(
            at=event.at, kind="shared", title=title, body=body, actor=contact,
            url=reverse("sharing:manage", args=[client.pk]), badges=(_("Shared plan"),),
        )  # fmt: skip


def providers() -> list[TimelineProvider]:
    return [TimelineProvider(kinds=("shared",), count=_count, newest=_newest)]
