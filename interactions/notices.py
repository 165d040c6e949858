"""``@username`` in an interaction or note tells that colleague, if they may read it.

A private note mentions only the people who may read it (its author and the client's team lead): the others
are not told, so a mention never leaks a private note. The event ``interactions.mentioned`` carries the names
and figures (notifications may not import clients or interactions); see notifications/handlers.py.
"""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils.translation import gettext as _

from clients.notices import client_display, client_figures
from core import events
from core.formats import format_day
from interactions.models import FollowUp, FollowUpStatus, Interaction
from interactions.permissions import interaction_visibility_q
from notifications.mentions import excerpt, mentioned_usernames
from notifications.services import EmittedEvent, webhooks_emit
from notifications.webhooks import WebhookEvent
from users.models import User

MENTIONED = "interactions.mentioned"


def mention_text(interaction: Interaction) -> str:
    return "\n".join(part for part in (interaction.summary, interaction.outcome, interaction.next_step) if part)


def mentions_publish(interaction: Interaction, *, by: User | None, before: str = "") -> list[User]:
    """Tell the colleagues newly mentioned in ``interaction`` (not those already mentioned in ``before``) who may
    read it; returns them."""
    text = mention_text(interaction)
    already = {name.lower() for name in mentioned_usernames(before)}
    names = [name for name in mentioned_usernames(text) if name.lower() not in already]
    if not names:
        return []
    candidates = [
        user
        for user in User.objects.filter(is_active=True, username__iregex=r"^(" + "|".join(map(re.escape, names)) + ")$")
        if user.pk != getattr(by, "pk", None)
    ]
    readers = [
        user
        for user in candidates
        if Interaction.objects.filter(interaction_visibility_q(user), pk=interaction.pk).exists()
    ]
    if not readers:
        return []
    client = interaction.client
    for user in readers:
        display = client_display(client, by=by or interaction.author, excerpt=excerpt(text, user.username))
        events.publish(
            MENTIONED,
            interaction_id=interaction.pk,
            version=interaction.version,
            by=by or interaction.author,
            to_user_ids=[user.pk],
            display=display,
        )
    return readers


def commitments_overdue_emit(*, on_date: dt.date) -> int:
    """The webhook event ``commitment.overdue`` for each open commitment past its due date on ``on_date``.

    Once per commitment and due date (the event key): re-running the day, or the next day, sends nothing new;
    a commitment rescheduled and missed again is a new event. Returns how many events were considered.
    """
    overdue = list(
        FollowUp.objects.filter(status=FollowUpStatus.OPEN, is_commitment=True, due_date__lt=on_date)
        .select_related("client", "owner")
        .order_by("pk")[:5000]
    )
    items = [
        EmittedEvent(
            event=WebhookEvent.COMMITMENT_OVERDUE,
            key=f"commitment.overdue:{f.pk}:{f.due_date}",
            data={
                "follow_up_id": f.pk,
                "client_id": f.client_id,
                "client": f.client.name,
                "title": f.title,
                "due_date": f.due_date,
                "promised_date": f.promised_date,
                "owner_id": f.owner_id,
                "owner": str(f.owner) if f.owner_id else "",
                "figures": dict(client_figures(f.client)),
            },
            # The Slack line: the client in bold, then the commitment (in the site's language: a channel has no reader).
            text=f"*{f.client.name}*: "
            + _("%(title)s (due %(due)s)") % {"title": f.title, "due": format_day(f.due_date)},
            url=reverse("interactions:followup_detail", args=[f.pk]),
        )
        for f in overdue
    ]
    webhooks_emit(events=items)
    return len(items)
