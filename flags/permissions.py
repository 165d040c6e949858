"""Who may see and act on flags and trigger rules. Not found and forbidden look the same (404)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from clients.permissions import client_can_edit, client_can_reassign
from flags.models import Flag, TriggerRule
from users import permissions as rules
from users.models import Role, User


def flag_visibility_q(user: User) -> Q:
    return rules.portfolio_q(user, prefix="client__")


def flag_get_for_user(*, user: User, pk: int) -> Flag:
    flag = (
        Flag.objects.filter(flag_visibility_q(user), pk=pk)
        .select_related("client", "client__owner", "client__team", "rule", "assigned_to", "interaction")
        .first()
    )
    if flag is None:
        raise Http404("No such flag.")
    return flag


def flag_can_act(*, user: User, flag: Flag) -> bool:
    """The assignee, anyone who may edit the client (owner, team lead), or an admin."""
    return flag.assigned_to_id == user.pk or client_can_edit(user=user, client=flag.client)


def flag_can_reassign(*, user: User, flag: Flag) -> bool:
    """Passing a flag to someone else: the client's team lead or an admin (as for reassigning the client)."""
    return client_can_reassign(user=user, client=flag.client)


def rule_visibility_q(user: User) -> Q:
    if user.is_admin_role:
        return Q()
    if user.team_id:
        return Q(team__isnull=True) | Q(team=user.team_id)
    return Q(team__isnull=True)


def rule_can_create(*, user: User, team_id: int | None) -> bool:
    if user.is_admin_role:
        return True
    return user.role == Role.TEAM_LEAD and team_id is not None and team_id == user.team_id


def rule_can_edit(*, user: User, rule: TriggerRule) -> bool:
    return rule_can_create(user=user, team_id=rule.team_id)


def rule_get_for_user(*, user: User, pk: int) -> TriggerRule:
    rule = TriggerRule.objects.filter(rule_visibility_q(user), pk=pk).select_related("team", "created_by").first()
    if rule is None:
        raise Http404("No such rule.")
    return rule
