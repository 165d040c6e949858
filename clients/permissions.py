"""Access helpers for client-owned objects. Not found and forbidden look the same (404)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from clients.models import SALES_EDITABLE_STATUSES, Client, Contact, Handoff, HandoffStatus
from core.errors import NotAllowedError
from users import permissions as rules
from users.models import Role, User


def client_ownership(client: Client) -> rules.Ownership:
    return rules.Ownership(
        owner_id=client.owner_id,
        team_id=client.team_id,
        sales_owner_id=client.sales_owner_id,
        sales_locked=client.status not in SALES_EDITABLE_STATUSES,
    )


def client_can_view(*, user: User, client: Client) -> bool:
    return rules.can_view(user, client_ownership(client))


def client_can_edit(*, user: User, client: Client) -> bool:
    return rules.can_edit(user, client_ownership(client))


def client_can_reassign(*, user: User, client: Client) -> bool:
    return rules.can_reassign_owner(user, client_ownership(client))


def client_get_for_user(*, user: User, pk: int, for_edit: bool = False) -> Client:
    """The client if ``user`` may see it (and edit it, with ``for_edit``); otherwise 404."""
    client = (
        Client.objects.filter(rules.portfolio_q(user), pk=pk).select_related("owner", "sales_owner", "team").first()
    )
    if client is None:
        raise Http404(_("No such client."))
    if for_edit and not client_can_edit(user=user, client=client):
        raise NotAllowedError(_("You can view this client but not change it."))
    return client


def client_require_edit(*, user: User, client: Client) -> None:
    if not client_can_edit(user=user, client=client):
        raise NotAllowedError(_("You can view this client but not change it."))


def contact_get_for_user(*, user: User, pk: int) -> Contact:
    contact = (
        Contact.objects.filter(rules.portfolio_q(user, prefix="client__"), pk=pk)
        .select_related("client", "client__owner", "client__team", "reports_to")
        .first()
    )
    if contact is None:
        raise Http404(_("No such contact."))
    return contact


def handoff_visibility_q(user: User):
    """Handoffs of visible clients, plus those sent to the user or their team (still pending)."""
    from django.db.models import Q

    q = rules.portfolio_q(user, prefix="client__")
    if not user.is_authenticated or not user.is_active:
        return q  # matches nothing
    if user.role == Role.SALES:
        return q | Q(created_by=user)
    if not user.is_admin_role:
        addressed = Q(to_am=user)
        if user.team_id:
            addressed |= Q(to_team=user.team_id)
        # Once decided, a handoff follows its client: one accepted into another team leaves this one.
        q |= addressed & Q(status=HandoffStatus.PENDING)
    return q


def handoff_get_for_user(*, user: User, pk: int) -> Handoff:
    handoff = (
        Handoff.objects.filter(handoff_visibility_q(user), pk=pk)
        .select_related("client", "to_am", "to_team", "created_by", "decided_by")
        .first()
    )
    if handoff is None:
        raise Http404(_("No such handoff."))
    return handoff


def handoff_can_decide(*, user: User, handoff: Handoff) -> bool:
    """Accept or return: the addressed AM, any AM of the addressed team, their lead, or an admin."""
    if handoff.status != HandoffStatus.PENDING:
        return False
    if user.is_admin_role:
        return True
    if user.role not in {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD}:
        return False
    if handoff.to_am_id == user.pk:
        return True
    team_id = handoff.to_team_id or (handoff.to_am.team_id if handoff.to_am_id else None)
    if team_id is None or team_id != user.team_id:
        return False
    # Addressed to a specific AM: only that AM or the lead decides.
    return handoff.to_am_id is None or user.role == Role.TEAM_LEAD


def handoff_can_edit(*, user: User, handoff: Handoff) -> bool:
    """Sales edits what it sent until it is accepted; admins always."""
    if user.is_admin_role:
        return handoff.status != HandoffStatus.ACCEPTED
    return handoff.created_by_id == user.pk and handoff.status != HandoffStatus.ACCEPTED
