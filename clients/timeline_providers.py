"""Timeline entries owned by the clients app: handoffs and changes to the client record."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from clients.history import record_changes
from clients.models import Client
from clients.timeline import TimelineEntry, TimelineProvider, register
from users.models import User


def _handoff_count(client: Client, user: User, kinds: set[str]) -> int:
    return client.handoffs.count()


def _handoff_newest(client: Client, user: User, kinds: set[str], limit: int):
    handoffs = client.handoffs.select_related("created_by", "decided_by").order_by("-created_at", "-pk")[:limit]
    for handoff in handoffs:
        decided = handoff.decided_at is not None
        actor = handoff.decided_by if decided else handoff.created_by
        titles = {
            "accepted": _("Handoff accepted: %(deal)s"),
            "returned": _("Handoff returned to sales: %(deal)s"),
        }
        yield TimelineEntry(
            at=handoff.decided_at if decided else handoff.created_at,
            kind="handoff",
            title=titles.get(handoff.status, _("Handoff sent: %(deal)s")) % {"deal": handoff.deal_name},
            body=handoff.return_reason if handoff.status == "returned" else handoff.goals,
            actor=str(actor or ""),
            url=reverse("clients:handoff_detail", args=[handoff.pk]),
            badges=(handoff.get_status_display(),),
        )


def _changes_count(client: Client, user: User, kinds: set[str]) -> int:
    return client.history.count()


def _changes_newest(client: Client, user: User, kinds: set[str], limit: int):
    # One extra row so the oldest entry on the page can still be diffed against its predecessor.
    records = list(client.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    shown = records[:limit]
    pairs = [(record, records[index + 1] if index + 1 < len(records) else None) for index, record in enumerate(shown)]
    for record, changes in zip(shown, record_changes(pairs), strict=True):
        if record.history_type == "+":
            title, body = _("Client record created"), ""
        else:
            title = _("Client record changed") if record.history_type == "~" else _("Client record deleted")
            body = "; ".join(f"{c.label}: {c.old} → {c.new}" for c in changes)
        yield TimelineEntry(
            at=record.history_date,
            kind="change",
            title=title,
            body=body,
            actor=str(record.history_user or _("system")),
        )


def register_providers() -> None:
    register(TimelineProvider(kinds=("handoff",), count=_handoff_count, newest=_handoff_newest))
    register(TimelineProvider(kinds=("change",), count=_changes_count, newest=_changes_newest))
