"""Demo shared plans for `make run` (through the services): key accounts share plan objectives and review action
items with their decision maker; one link was opened (code sent and confirmed, viewed, an item ticked, a comment
left), so the access log and the timeline have something to show."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings

from clients.models import Client, ClientStatus, Contact, ContactRole
from notifications.models import OutboxMessage
from reviews.models import AccountPlan, ReviewActionItem
from reviews.services import HELD_STATUSES, shared_content_choose
from sharing import services
from sharing.models import SharedPlanLink

COMMENT = "Thanks for the summary. Our IT team needs the API credentials before the rollout in week 3."


def seed(*, now: dt.datetime, limit: int = 6) -> int:
    """Share the plans of up to ``limit`` key accounts; returns the links sent."""
    if SharedPlanLink.objects.exists():
        return 0
    plans = {p.client_id: p for p in AccountPlan.objects.filter(client__is_key_account=True, client__archived_at=None)}
    items: dict[int, list[ReviewActionItem]] = {}
    for item in ReviewActionItem.objects.filter(review__client_id__in=plans, review__status__in=HELD_STATUSES).order_by(
        "pk"
    ):
        items.setdefault(item.review.client_id, []).append(item)
    deciders = {
        c.client_id: c
        for c in Contact.objects.filter(client_id__in=plans, role=ContactRole.DECISION_MAKER, is_active=True).exclude(
            email=""
        )
    }
    clients = (
        Client.objects.filter(pk__in=[pk for pk in plans if pk in deciders], status=ClientStatus.ACTIVE)
        .exclude(owner=None)
        .select_related("owner")
        .order_by("pk")[:limit]
    )
    sent = 0
    for index, client in enumerate(clients):
        contact = deciders[client.pk]
        shared_items = items.get(client.pk, [])[:3]
        # The first shared item is the client's to do: their decision maker ticks it from the page.
        chosen = {item.pk: (contact if position == 0 else None) for position, item in enumerate(shared_items)}
        shared_content_choose(client=client, by=client.owner, objective_indexes=[0, 1], items=chosen)
        shared_at = now - dt.timedelta(days=12 - index)
        [new] = services.shared_links_create(
            client=client, contacts=[contact], by=client.owner, expires_in_days=60, base_url=settings.SITE_URL,
            now=shared_at,
        )  # fmt: skip
        sent += 1
        if index == 0:
            _open(new.link, item_id=shared_items[0].pk if shared_items else None, at=shared_at + dt.timedelta(days=1))
    return sent


def _open(link: SharedPlanLink, *, item_id: int | None, at: dt.datetime) -> None:
    """The contact opens the link: asks for the code, types it, reads the page, ticks their item, comments."""
    visitor = services.Visitor(ip_address="203.0.113.24", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4)")
    services.shared_code_send(link=link, now=at, visitor=visitor)
    message = OutboxMessage.objects.filter(key__startswith=f"shared-code-{link.pk}-").latest("pk")
    code = re.search(r"(\d{6})", message.subject).group(1)
    services.shared_code_check(link=link, code=code, now=at + dt.timedelta(minutes=1), visitor=visitor)
    link.refresh_from_db()
    services.shared_page_viewed(link=link, now=at + dt.timedelta(minutes=2), visitor=visitor)
    if item_id is not None:
        services.shared_item_tick(
            link=link, item_id=item_id, done=True, now=at + dt.timedelta(minutes=4), visitor=visitor
        )
    services.shared_comment_add(link=link, text=COMMENT, now=at + dt.timedelta(minutes=6), visitor=visitor)
    link.refresh_from_db()
    services.shared_page_viewed(link=link, now=at + dt.timedelta(days=3), visitor=visitor)
