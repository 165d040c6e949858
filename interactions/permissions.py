"""Who may see and change interactions and follow-ups. Not found and forbidden look the same (404)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from clients.permissions import client_can_edit
from interactions.models import FollowUp, Interaction
from users import permissions as rules
from users.models import Role, User


def interaction_visibility_q(user: User) -> Q:
    """Interactions of visible clients; a private one only for its author and the client's team lead."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    q = rules.portfolio_q(user, prefix="client__") & Q(deleted_at__isnull=True)
    privacy = Q(is_private=False) | Q(author=user.pk)
    if user.role == Role.TEAM_LEAD and user.team_id:
        privacy |= Q(client__team=user.team_id)
    return q & privacy


def interaction_get_for_user(*, user: User, pk: int) -> Interaction:
    interaction = (
        Interaction.objects.filter(interaction_visibility_q(user), pk=pk)
        .select_related("client", "client__team", "client__owner", "author")
        .first()
    )
    if interaction is None:
        raise Http404(_("No such interaction."))
    return interaction


def interaction_can_edit(*, user: User, interaction: Interaction) -> bool:
    """Its author (while they may still write on the client), the client's team lead, or an admin."""
    if user.is_admin_role:
        return True
    client = interaction.client
    if user.role == Role.TEAM_LEAD and client.team_id and client.team_id == user.team_id:
        return True
    return interaction.author_id == user.pk and client_can_edit(user=user, client=client)


def followup_visibility_q(user: User) -> Q:
    return rules.portfolio_q(user, prefix="client__")


def followup_get_for_user(*, user: User, pk: int) -> FollowUp:
    followup = (
        FollowUp.objects.filter(followup_visibility_q(user), pk=pk)
        .select_related("client", "client__team", "client__owner", "owner", "interaction")
        .first()
    )
    if followup is None:
        raise Http404(_("No such follow-up."))
    return followup


def followup_can_edit(*, user: User, followup: FollowUp) -> bool:
    return followup.owner_id == user.pk or client_can_edit(user=user, client=followup.client)
