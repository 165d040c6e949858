"""Timeline entries owned by the interactions app: interactions and follow-ups."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from clients.models import Client
from clients.timeline import TimelineEntry, TimelineProvider
from core.formats import format_day
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
            badges.append(pgettext("private note", "Private"))
        yield TimelineEntry(
            at=interaction.occurred_at,
            kind=interaction.kind,
            title=_("%(kind)s with %(people)s") % {"kind": interaction.get_kind_display(), "people": people}
            if people
            else interaction.get_kind_display(),
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
        due, promised = format_day(followup.due_date), followup.promised_date
        if promised:
            when = _("due %(due)s, promised to the client for %(promised)s") % {
                "due": due,
                "promised": format_day(promised),
            }
        else:
            when = _("due %(due)s") % {"due": due}
        if followup.is_commitment:
            title = _("Commitment: %(title)s") % {"title": followup.title}
        else:
            title = _("Follow-up: %(title)s") % {"title": followup.title}
        yield TimelineEntry(
            at=followup.created_at,
            kind="followup",
            title=title,
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
