"""Timeline entries owned by the clients app: handoffs and changes to the client record."""

from __future__ import annotations

from django.urls import reverse

from clients.models import Client
from clients.timeline import TimelineEntry, TimelineProvider, register
from users.models import User

# Fields kept automatically by other services; changes to them are not news on the timeline.
_QUIET_FIELDS = {"version", "updated_at", "last_contact_at", "last_review_on", "contact_due_on"}


def _handoff_count(client: Client, user: User, kinds: set[str]) -> int:
    return client.handoffs.count()


def _handoff_newest(client: Client, user: User, kinds: set[str], limit: int):
    handoffs = client.handoffs.select_related("created_by", "decided_by").order_by("-created_at", "-pk")[:limit]
    for handoff in handoffs:
        decided = handoff.decided_at is not None
        actor = handoff.decided_by if decided else handoff.created_by
        verb = {"accepted": "accepted", "returned": "returned to sales"}.get(handoff.status, "sent")
        yield TimelineEntry(
            at=handoff.decided_at if decided else handoff.created_at,
            kind="handoff",
            title=f"Handoff {verb}: {handoff.deal_name}",
            body=handoff.return_reason if handoff.status == "returned" else handoff.goals,
            actor=str(actor or ""),
            url=reverse("clients:handoff_detail", args=[handoff.pk]),
            badges=(handoff.get_status_display(),),
        )


def _shown(value) -> str:
    return "—" if value in (None, "") else str(value)


def _changes_count(client: Client, user: User, kinds: set[str]) -> int:
    return client.history.count()


def _changes_newest(client: Client, user: User, kinds: set[str], limit: int):
    # One extra row so the oldest entry on the page can still be diffed against its predecessor.
    records = list(client.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    field_names = {f.attname: f.verbose_name for f in Client._meta.fields}
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        if record.history_type == "+":
            title, body = "Client record created", ""
        else:
            changes = []
            if previous is not None:
                for attname, label in field_names.items():
                    if attname in _QUIET_FIELDS:
                        continue
                    old, new = getattr(previous, attname, None), getattr(record, attname, None)
                    if old != new:
                        changes.append(f"{label}: {_shown(old)} → {_shown(new)}")
            title = "Client record changed" if record.history_type == "~" else "Client record deleted"
            body = "; ".join(changes)
        yield TimelineEntry(
            at=record.history_date,
            kind="change",
            title=title,
            body=body,
            actor=str(record.history_user or "system"),
        )


def register_providers() -> None:
    register(TimelineProvider(kinds=("handoff",), count=_handoff_count, newest=_handoff_newest))
    register(TimelineProvider(kinds=("change",), count=_changes_count, newest=_changes_newest))
