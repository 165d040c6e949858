"""Reads for client pages and endpoints: scoped to the user and preloaded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from clients.models import Client, Contact, Handoff, HandoffStatus
from clients.permissions import handoff_visibility_q
from users import permissions as rules
from users.models import Role, User


def client_queryset_for_user(*, user: User, scope: str = "all") -> QuerySet[Client]:
    """Clients ``user`` may see; scope ``mine`` narrows to the ones they own (sales: sold)."""
    queryset = Client.objects.filter(rules.portfolio_q(user))
    if scope == "mine":
        field = "sales_owner" if user.role == Role.SALES else "owner"
        queryset = queryset.filter(**{field: user})
    return queryset.select_related("owner", "team", "sales_owner").annotate(
        active_contacts=Count("contacts", filter=Q(contacts__is_active=True))
    )


def client_contacts(*, client: Client) -> QuerySet[Contact]:
    return client.contacts.select_related("reports_to").order_by("-is_active", "last_name", "first_name")


def client_detail_handoffs(*, client: Client) -> QuerySet[Handoff]:
    return client.handoffs.select_related("to_am", "to_team", "created_by", "decided_by").prefetch_related(
        "stakeholders"
    )


def handoff_queryset_for_user(*, user: User) -> QuerySet[Handoff]:
    return (
        Handoff.objects.filter(handoff_visibility_q(user))
        .select_related("client", "to_am", "to_team", "created_by", "decided_by")
        .prefetch_related(Prefetch("stakeholders", queryset=Contact.objects.only("id", "role", "client_id")))
    )


def handoff_inbox_for_user(*, user: User) -> QuerySet[Handoff]:
    """Pending handoffs this user can act on (AM or lead) or is waiting on (sales)."""
    queryset = handoff_queryset_for_user(user=user).filter(status=HandoffStatus.PENDING)
    if user.role == Role.SALES:
        return queryset.filter(created_by=user)
    if user.is_admin_role:
        return queryset
    team_q = Q(to_team=user.team_id) | Q(to_am__team=user.team_id) if user.team_id else Q(pk__in=[])
    if user.role == Role.TEAM_LEAD:
        return queryset.filter(Q(to_am=user) | team_q)
    return queryset.filter(
        Q(to_am=user) | (Q(to_team=user.team_id, to_am__isnull=True) if user.team_id else Q(pk__in=[]))
    )


def contact_queryset_for_user(*, user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(rules.portfolio_q(user, prefix="client__")).select_related("client", "reports_to")


def owners_for_user(*, user: User) -> QuerySet[User]:
    return User.objects.filter(rules.assignable_owners_q(user)).select_related("team")


@dataclass(frozen=True)
class ClientPage:
    """What the client page shows of the client itself; other apps add their panels (clients.panels)."""

    contacts: list[Contact]
    handoffs: list[tuple[Handoff, Any]]  # (handoff, its readiness)
    contact_overdue_days: int | None


def client_page(*, client: Client, today: dt.date) -> ClientPage:
    from clients.services import handoff_readiness  # pure: computes readiness, writes nothing

    due = client.contact_due_on
    return ClientPage(
        contacts=list(client_contacts(client=client)),
        handoffs=[(h, handoff_readiness(h, today=today)) for h in client_detail_handoffs(client=client)],
        contact_overdue_days=(today - due).days if due is not None and due < today else None,
    )
