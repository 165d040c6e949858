"""What notifications and webhooks need to name a client or a handoff, captured when the action happens.

``notifications`` sits left of ``clients`` in the import chain, so it cannot read a client; the services here
publish their events (core.events) with a ``display`` payload built by these functions: the client's name, its
current figures and the link, in the transaction of the action.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from clients.models import Client, Handoff, HandoffStatus
from core import events
from core.money import MoneyTotals
from users.models import Role, User

HANDOFF_SENT = "clients.handoff_sent"
HANDOFF_RETURNED = "clients.handoff_returned"
CLIENT_ASSIGNED = "clients.client_assigned"


def _money(amount, currency: str) -> str:
    return str(MoneyTotals.of([(amount, currency)])) if amount else ""


def client_figures(client: Client) -> list[list[str]]:
    """The client's figures as they stand: ARR, renewal date, last contact (keys of notifications.kinds)."""
    return [
        ["arr", _money(client.arr, client.currency)],
        ["renewal_date", client.renewal_date.isoformat() if client.renewal_date else ""],
        ["last_contact", client.last_contact_at.date().isoformat() if client.last_contact_at else ""],
    ]


def client_display(client: Client, *, by: User | None = None, **extra: Any) -> dict[str, Any]:
    display = {
        "client": client.name,
        "client_id": client.pk,
        "url": reverse("clients:detail", args=[client.pk]),
        "figures": client_figures(client),
        **extra,
    }
    if by is not None:
        display["by"] = str(by)
    return display


def handoff_display(handoff: Handoff, *, by: User | None = None, **extra: Any) -> dict[str, Any]:
    client = Client.objects.get(pk=handoff.client_id)  # as it stands now (the action may have just changed it)
    display = client_display(client, by=by, deal=handoff.deal_name, **extra)
    display["url"] = reverse("clients:handoff_detail", args=[handoff.pk])
    display["figures"] = [["deal_amount", _money(handoff.deal_amount, handoff.currency)], *display["figures"]]
    return display


def handoff_recipients(handoff: Handoff) -> tuple[list[int], bool]:
    """Who a pending handoff is for: the addressed AM, or every AM and lead of the addressed team."""
    if handoff.to_am_id:
        return [handoff.to_am_id], False
    if handoff.to_team_id:
        members = User.objects.filter(
            team_id=handoff.to_team_id, is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD]
        )
        return list(members.values_list("pk", flat=True)), True
    return [], False


def handoff_sent_publish(handoff: Handoff, *, by: User) -> None:
    if handoff.status != HandoffStatus.PENDING:
        return
    recipients, team = handoff_recipients(handoff)
    display = handoff_display(handoff, by=by, **({"variant": "team"} if team else {}))
    events.publish(HANDOFF_SENT, handoff=handoff, by=by, to_user_ids=recipients, display=display, round=handoff.version)


def handoff_returned_publish(handoff: Handoff, *, by: User) -> None:
    display = handoff_display(handoff, by=by, reason=handoff.return_reason)
    events.publish(
        HANDOFF_RETURNED,
        handoff=handoff,
        by=by,
        to_user_ids=[handoff.created_by_id] if handoff.created_by_id else [],
        display=display,
        round=handoff.version,
    )


def handoff_accepted_display(handoff: Handoff, *, by: User) -> dict[str, Any]:
    """The extra payload of clients.handoff_accepted: the sender is told, with the names and figures."""
    recipients = [handoff.created_by_id] if handoff.created_by_id else []
    return {"display": handoff_display(handoff, by=by), "to_user_ids": recipients}


def client_assigned_publish(client: Client, *, by: User) -> None:
    if not client.owner_id:
        return
    events.publish(
        CLIENT_ASSIGNED,
        client=client,
        by=by,
        to_user_ids=[client.owner_id],
        display=client_display(client, by=by),
        version=client.version,
    )
