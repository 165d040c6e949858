"""Who may see and act on captured e-mail. Not found and forbidden look the same (404).

A captured message is visible to the people who could see a note by its author: once filed, exactly the people
who see its interaction (``interaction_visibility_q``: the client's portfolio, and for a private thread only the
author and the client's team lead). Before it is filed (To file, or unreadable) it is its owner's alone, and their
team lead's; a message no colleague took part in is for admins to sort out. Admins do not read a colleague's
unfiled mail, as they do not read private notes.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from capture.models import CapturedMessage, CaptureStatus
from clients.models import Client
from clients.permissions import client_can_edit
from interactions.models import Interaction
from interactions.permissions import interaction_can_edit, interaction_visibility_q
from users.models import Role, User


def _unfiled_q(user: User) -> Q:
    mine = Q(owner=user.pk) | Q(captured_by=user.pk)
    if user.role == Role.TEAM_LEAD and user.team_id:
        mine |= Q(owner__team=user.team_id)
    if user.is_admin_role:
        mine |= Q(owner__isnull=True)
    return Q(interaction__isnull=True) & mine


def captured_message_visibility_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    visible_interactions = Interaction.objects.filter(interaction_visibility_q(user)).values("pk")
    return Q(interaction__in=visible_interactions) | _unfiled_q(user)


def captured_message_get_for_user(*, user: User, pk: int) -> CapturedMessage:
    message = (
        CapturedMessage.objects.filter(captured_message_visibility_q(user), pk=pk)
        .select_related("client", "owner", "thread", "interaction", "interaction__client", "interaction__author")
        .first()
    )
    if message is None:
        raise Http404(_("No such message."))
    return message


def captured_message_can_file(*, user: User, message: CapturedMessage) -> bool:
    """Assign a To file message to a client: whoever sees it unfiled (its owner, their lead; admins when no
    colleague took part)."""
    if message.status != CaptureStatus.TO_FILE or message.interaction_id is not None:
        return False
    if not user.is_authenticated or not user.is_active:
        return False
    return CapturedMessage.objects.filter(_unfiled_q(user), pk=message.pk).exists()


def captured_message_can_file_to(*, user: User, message: CapturedMessage, client: Client) -> bool:
    return captured_message_can_file(user=user, message=message) and client_can_edit(user=user, client=client)


def captured_message_can_set_private(*, user: User, message: CapturedMessage) -> bool:
    """Mark its thread private: who may edit its interaction (author, team lead, admin); unfiled, who may file it."""
    if message.interaction_id is not None:
        interaction = message.interaction
        return interaction.deleted_at is None and interaction_can_edit(user=user, interaction=interaction)
    if message.status == CaptureStatus.FAILED:
        return False
    return captured_message_can_file(user=user, message=message)
