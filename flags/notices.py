"""Flags, told: in-app and e-mail notifications that name the client with its current figures, and the webhook
events ``flag.opened`` / ``flag.resolved`` (notifications.services.webhooks_emit).

Set-based: the morning run tells about a chunk's flags with two queries, whatever their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import OuterRef, Subquery
from django.urls import reverse

from clients.models import Client
from clients.notices import client_figures
from core.phrases import is_phrase
from flags.models import Flag
from health.models import HealthScore
from notifications.kinds import Kind
from notifications.services import EmittedEvent, NotificationDraft, notifications_send, webhooks_emit
from notifications.webhooks import WebhookEvent


def flag_displays(flags: Sequence[Flag]) -> dict[int, dict[str, Any]]:
    """flag id -> the display payload: client name, figures (ARR, renewal, last contact, health), the link."""
    newest_score = HealthScore.objects.filter(client=OuterRef("pk")).order_by("-date").values("score")[:1]
    queryset = Client.objects.filter(pk__in={f.client_id for f in flags}).annotate(health=Subquery(newest_score))
    clients = {c.pk: c for c in queryset}
    scores = {pk: c.health for pk, c in clients.items() if c.health is not None}
    displays = {}
    for flag in flags:
        client = clients.get(flag.client_id)
        if client is None:
            continue
        # The evidence travels as its phrase, so each reader's notification reads it in their own language.
        said = flag.data.get("said") if isinstance(flag.data, dict) else None
        figures = [["measure", said if is_phrase(said) else flag.evidence[:120]], *client_figures(client)]
        if flag.client_id in scores:
            figures.append(["health", f"{scores[flag.client_id]:.0f}"])
        displays[flag.pk] = {
            "client": client.name,
            "client_id": client.pk,
            "title": flag.title,
            "figures": figures,
            "url": reverse("flags:detail", args=[flag.pk]),
        }
    return displays


def flags_opened_tell(flags: Sequence[Flag], *, reopened: bool = False, emit: bool = True) -> None:
    """The assignee of each new (or reopened) flag, on the channels they chose for "a flag opens". ``emit=False``:
    the webhook event went out already (when the flag opened; the weekly cap tells its assignee later)."""
    flags = [f for f in flags if f.pk]
    if not flags:
        return
    displays = flag_displays(flags)
    drafts = []
    for flag in flags:
        display = dict(displays.get(flag.pk) or {})
        if not display or not flag.assigned_to_id:
            continue
        url = display.pop("url")
        if reopened:
            display["variant"] = "reopened"
        drafts.append(NotificationDraft(user_id=flag.assigned_to_id, kind=Kind.FLAG_OPENED, params=display, url=url))
    notifications_send(drafts=drafts)
    if emit:
        flags_emit(flags, event=WebhookEvent.FLAG_OPENED, displays=displays)


def flags_emit(flags: Sequence[Flag], *, event: str, displays: dict[int, dict[str, Any]] | None = None) -> None:
    displays = displays if displays is not None else flag_displays(flags)
    items = []
    for flag in flags:
        display = displays.get(flag.pk)
        if not display:
            continue
        data = {
            "flag_id": flag.pk,
            "client_id": flag.client_id,
            "client": display["client"],
            "rule_id": flag.rule_id,
            "title": flag.title,
            "severity": flag.severity,
            "status": flag.status,
            "resolution": flag.resolution,
            "evidence": flag.evidence,
            "opened_on": flag.opened_on,
            "closed_on": flag.closed_on,
            "assigned_to_id": flag.assigned_to_id,
            "figures": dict(display["figures"]),
        }
        if event == WebhookEvent.FLAG_OPENED:
            text = f"*{display['client']}*: {flag.title}. {flag.evidence}"
        else:
            text = f"*{display['client']}*: {flag.title} ({flag.get_resolution_display() or flag.status})"
        key = f"{event}:{flag.pk}:{flag.opened_on}:{flag.closed_on or ''}"
        items.append(EmittedEvent(event=event, key=key, data=data, text=text, url=display["url"]))
    webhooks_emit(events=items)


def flag_reassigned_tell(flag: Flag, *, by, to) -> None:
    display = dict(flag_displays([flag]).get(flag.pk) or {})
    if not display:
        return
    url = display.pop("url")
    display["by"] = str(by)
    notifications_send(
        drafts=[NotificationDraft(user_id=to.pk, kind=Kind.FLAG_REASSIGNED, params=display, url=url)],
        key=f"flag_reassigned:{flag.pk}:{flag.version}",
    )
