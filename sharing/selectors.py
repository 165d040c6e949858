"""Reads of the shared plan: what a contact sees (only what was marked shared) and what the AM sees about it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from clients.models import Client
from reviews.models import HELD_STATUSES, AccountPlan, AccountReview, ReviewActionItem, ReviewStatus
from reviews.plan_items import OBJECTIVE_STATUSES
from sharing.models import SharedEventKind, SharedPlanEvent, SharedPlanLink


@dataclass(frozen=True)
class SharedObjective:
    objective: str
    target: str
    status: str  # a label


@dataclass(frozen=True)
class SharedItem:
    pk: int
    title: str
    due_date: dt.date | None
    promised_date: dt.date | None
    done: bool
    by_us: str  # our side's owner, "" when the client does it
    by_client: str  # the contact who does it
    mine: bool  # done by the contact who is looking: they may tick it


@dataclass(frozen=True)
class SharedPage:
    client: Client
    contact_name: str
    objectives: list[SharedObjective]
    items: list[SharedItem]
    cadence_days: int
    channel: str
    next_review_on: dt.date | None
    am_name: str
    am_email: str
    comments: list[SharedPlanEvent]


def shared_page(*, link: SharedPlanLink, today: dt.date) -> SharedPage:
    """Everything the page shows, in a fixed number of queries. Nothing that is not marked shared."""
    client = link.client
    plan = AccountPlan.objects.filter(client=client).first()
    objectives = [
        SharedObjective(o["objective"], o.get("target", ""), str(OBJECTIVE_STATUSES.get(o.get("status"), "")))
        for o in (plan.objectives if plan else [])
        if o.get("shared")
    ]
    rows = (
        ReviewActionItem.objects.filter(
            review__client=client, review__status__in=HELD_STATUSES, shared_with_client=True
        )
        .select_related("owner", "contact", "followup")
        .order_by("due_date", "pk")
    )
    items = [
        SharedItem(
            pk=item.pk,
            title=item.title,
            due_date=item.due_date,
            promised_date=item.promised_date if item.is_commitment else None,
            done=item.done_by_contact_at is not None or (item.followup is not None and item.followup.status == "done"),
            by_us=str(item.owner) if item.owner_id and item.contact_id is None else "",
            by_client=str(item.contact) if item.contact_id else "",
            mine=item.contact_id == link.contact_id,
        )
        for item in rows
    ]
    next_review = (
        AccountReview.objects.filter(
            client=client, status__in=[ReviewStatus.PLANNED, ReviewStatus.PREPARED], planned_on__gte=today
        )
        .order_by("planned_on")
        .values_list("planned_on", flat=True)
        .first()
    )
    owner = client.owner
    comments = list(SharedPlanEvent.objects.filter(link=link, kind=SharedEventKind.COMMENT).order_by("-at")[:20])
    return SharedPage(
        client=client, contact_name=str(link.contact), objectives=objectives, items=items,
        cadence_days=client.contact_cadence_days, channel=client.get_preferred_channel_display(),
        next_review_on=next_review, am_name=str(owner) if owner else "", am_email=owner.email if owner else "",
        comments=comments,
    )  # fmt: skip


def links_for_client(*, client: Client) -> QuerySet[SharedPlanLink]:
    """The AM's view: every link of the client with its contact and its latest events (the access log)."""
    events = SharedPlanEvent.objects.order_by("-at", "-pk")
    return (
        SharedPlanLink.objects.filter(client=client)
        .select_related("contact", "created_by")
        .prefetch_related(Prefetch("events", queryset=events))
        .order_by("-created_at")
    )


def shareable_items(*, client: Client) -> list[ReviewActionItem]:
    return list(
        ReviewActionItem.objects.filter(review__client=client, review__status__in=HELD_STATUSES)
        .select_related("review", "owner", "contact")
        .order_by("-review__year", "-review__quarter", "position", "pk")
    )
