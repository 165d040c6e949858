"""Who may see, define and work playbooks and their runs. Not found and forbidden look the same (404)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from clients.models import Client
from clients.permissions import client_can_edit
from playbooks.models import Playbook, PlaybookRun, RunStep
from users import permissions as rules
from users.models import Role, User


def playbook_visibility_q(user: User) -> Q:
    """Global playbooks and the user's team's; admins see every one. Sales work no playbooks."""
    if not rules.works_accounts(user):
        return Q(pk__in=[])
    if user.is_admin_role:
        return Q()
    if user.team_id:
        return Q(team__isnull=True) | Q(team=user.team_id)
    return Q(team__isnull=True)


def playbook_can_create(*, user: User, team_id: int | None) -> bool:
    """Admins define global playbooks (and any team's); a lead defines their own team's."""
    if not user.is_authenticated:
        return False
    if user.is_admin_role:
        return True
    return user.role == Role.TEAM_LEAD and team_id is not None and team_id == user.team_id


def playbook_can_edit(*, user: User, playbook: Playbook) -> bool:
    return playbook_can_create(user=user, team_id=playbook.team_id)


def can_define_playbooks(user: User) -> bool:
    return rules.can_manage_rules(user)


def playbook_get_for_user(*, user: User, pk: int) -> Playbook:
    playbook = Playbook.objects.filter(playbook_visibility_q(user), pk=pk).select_related("team").first()
    if playbook is None:
        raise Http404(_("No such playbook."))
    return playbook


def playbook_applies_to(*, playbook: Playbook, client: Client) -> bool:
    return playbook.team_id is None or playbook.team_id == client.team_id


def run_visibility_q(user: User) -> Q:
    return rules.portfolio_q(user, prefix="client__")


def run_get_for_user(*, user: User, pk: int) -> PlaybookRun:
    run = (
        PlaybookRun.objects.filter(run_visibility_q(user), pk=pk)
        .select_related("playbook", "playbook_version", "client", "client__owner", "client__team", "flag")
        .first()
    )
    if run is None:
        raise Http404(_("No such playbook run."))
    return run


def run_can_act(*, user: User, run: PlaybookRun) -> bool:
    """Whoever may edit the client (its AM, the team lead, an admin) works the run."""
    return client_can_edit(user=user, client=run.client)


def step_can_act(*, user: User, run_step: RunStep) -> bool:
    """The step's owner (the sales owner, say) or whoever works the run."""
    return (run_step.owner_id is not None and run_step.owner_id == user.pk) or run_can_act(user=user, run=run_step.run)
