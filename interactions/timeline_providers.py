"""Timeline entries owned by the interactions app: interactions and follow-ups."""

from __future__ import annotations

from django.urls import reverse

from clients.models import Client
from clients.timeline import TimelineEntry, TimelineProvider
from interactions.models import InteractionKind
from interactions.selectors import client_interactions, followup_queryset_for_user
from users.models import User

INTERACTION_KINDS = tuple(InteractionKind.values)


def _interaction_count(client: Client, user: User, kinds: set[str]) -> int:
    return client_interactions(client=client, user=user).filter(kind__in=kinds & set(INTERACTION_KINDS)).count()


def _interaction_newest(client: Client, user: User, kinds: set[str], limit: int):
    queryset = client_interactions(client=client, user=user).filter(kind__in=kinds & set(INTERACTION_KINDS))
    for interaction in queryset[:limit]:
        people = ", ".join(str(c) for c in interaction.contacts.all())
        badges = [interaction.get_sentiment_display()]
        if interaction.is_private:
            badges.append("Private")
        yield TimelineEntry(
            at=interaction.occurred_at,
            kind=interaction.kind,
            title=f"{interaction.get_kind_display()}{' with ' + people if people else ''}",
            body=interaction.summary,
            actor=str(interaction.author),
            url=reverse("interactions:edit", args=[interaction.pk]),
            badges=tuple(badges),
            private=interaction.is_private,
            extra={
                "outcome": interaction.outcome,
                "next_step": interaction.next_step,
                "interaction_id": interaction.pk,
                "sentiment": interaction.sentiment,
            },
        )


def _followups(client: Client, user: User):
    return followup_queryset_for_user(user=user).filter(client=client)


def _followup_count(client: Client, user: User, kinds: set[str]) -> int:
    return _followups(client, user).count()


def _followup_newest(client: Client, user: User, kinds: set[str], limit: int):
    for followup in _followups(client, user).order_by("-created_at", "-pk")[:limit]:
        when = f"due {followup.due_date:%Y-%m-%d}"
        if followup.promised_date:
            when += f", promised to the client for {followup.promised_date:%Y-%m-%d}"
        label = "Commitment" if followup.is_commitment else "Follow-up"
        yield TimelineEntry(
            at=followup.created_at,
            kind="followup",
            title=f"{label}: {followup.title}",
            body=f"{followup.owner} · {when}",
            actor=str(followup.created_by or ""),
            url=reverse("interactions:followup_detail", args=[followup.pk]),
            badges=(followup.get_status_display(),),
            extra={"followup_id": followup.pk, "status": followup.status, "is_commitment": followup.is_commitment},
        )


def providers() -> list[TimelineProvider]:
    return [
        TimelineProvider(kinds=INTERACTION_KINDS, count=_interaction_count, newest=_interaction_newest),
        TimelineProvider(kinds=("followup",), count=_followup_count, newest=_followup_newest),
    ]
