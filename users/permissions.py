"""The roles table from DESIGN.md, in one place.

Apps to the right describe their objects by who owns them (owner, team, sales
owner); these functions answer who may see and who may edit such an object.
Every selector and access helper goes through them, so HTML and API agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from users.models import Role, User


@dataclass(frozen=True)
class Ownership:
    """Who an account belongs to: enough to decide any access question about it."""

    owner_id: int | None
    team_id: int | None
    sales_owner_id: int | None
    sales_locked: bool  # True once an AM accepted it: sales keeps read-only access


def portfolio_q(user: User, *, prefix: str = "") -> Q:
    """A filter matching the accounts ``user`` may see; ``prefix`` reaches them through a relation."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_admin_role:
        return Q()
    field = (lambda name: f"{prefix}{name}") if prefix else (lambda name: name)
    if user.role == Role.SALES:
        return Q(**{field("sales_owner"): user.pk})
    own = Q(**{field("owner"): user.pk})
    if user.team_id:
        return own | Q(**{field("team"): user.team_id})
    return own


def can_view(user: User, ownership: Ownership) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin_role:
        return True
    if user.role == Role.SALES:
        return ownership.sales_owner_id == user.pk
    return ownership.owner_id == user.pk or (user.team_id is not None and ownership.team_id == user.team_id)


def can_edit(user: User, ownership: Ownership) -> bool:
    if not can_view(user, ownership):
        return False
    if user.is_admin_role:
        return True
    if user.role == Role.TEAM_LEAD:
        # What an AM edits (their own accounts), plus every account of the team.
        return ownership.owner_id == user.pk or (ownership.team_id is not None and ownership.team_id == user.team_id)
    if user.role == Role.ACCOUNT_MANAGER:
        return ownership.owner_id == user.pk
    if user.role == Role.SALES:
        return ownership.sales_owner_id == user.pk and not ownership.sales_locked
    return False


def can_reassign_owner(user: User, ownership: Ownership) -> bool:
    """Leads reassign within their team; admins anywhere."""
    if user.is_admin_role:
        return True
    return user.role == Role.TEAM_LEAD and ownership.team_id is not None and ownership.team_id == user.team_id


def can_create_prospects(user: User) -> bool:
    return user.is_authenticated and (user.is_admin_role or user.role in {Role.SALES, Role.TEAM_LEAD})


def works_a_day(user: User) -> bool:
    """Account managers and leads have a "my day" of flags, follow-ups and contacts due."""
    return user.is_authenticated and user.role in {Role.ACCOUNT_MANAGER, Role.TEAM_LEAD}


def oversees_portfolio(user: User) -> bool:
    """Leads watch their team's portfolio; admins every team's."""
    return user.is_authenticated and (user.role == Role.TEAM_LEAD or user.is_admin_role)


def works_accounts(user: User) -> bool:
    """Everyone but sales works the accounts: follow-ups, reviews, flags."""
    return user.is_authenticated and user.role != Role.SALES


def can_manage_rules(user: User) -> bool:
    """Leads (of a team) write their team's trigger rules and watch the evaluation runs; admins the global ones."""
    return user.is_authenticated and (user.is_admin_role or (user.role == Role.TEAM_LEAD and user.team_id is not None))


def can_decide_for_others(user: User) -> bool:
    """Leads and admins accept a handoff on an AM's behalf, choosing the owner."""
    return oversees_portfolio(user)


def can_manage_contracts(user: User) -> bool:
    """Contracts and renewals are account work: AMs, leads and admins (on clients they may edit); sales reads."""
    return works_accounts(user)


def can_load_exchange_rates(user: User) -> bool:
    return user.is_authenticated and user.is_admin_role


def can_edit_health_model(user: User) -> bool:
    return user.is_authenticated and user.is_admin_role


def navigation(user: User) -> dict[str, bool]:
    """What the top bar offers this user: the same helpers the pages enforce, so the two never disagree."""
    return {
        "my_day": works_a_day(user),
        "portfolio": oversees_portfolio(user),
        "reports": oversees_portfolio(user),
        "accounts": works_accounts(user),
        "rules": can_manage_rules(user),
        "sales_import": can_import_sales_exports(user),
        "health_model": can_edit_health_model(user),
        "renewals": can_manage_contracts(user),
        "exchange_rates": can_load_exchange_rates(user),
        "admin_site": user.is_authenticated and user.is_staff,
    }


def can_add_clients(user: User) -> bool:
    """Sales add prospects; AMs, leads and admins add clients they manage directly."""
    return can_create_prospects(user) or (user.is_authenticated and user.role == Role.ACCOUNT_MANAGER)


def can_push_kpis(user: User) -> bool:
    """KPI values come from the company backend, which authenticates as an admin (service) account."""
    return user.is_admin_role


def can_import_sales_exports(user: User) -> bool:
    return can_create_prospects(user)


def assignable_owners_q(user: User) -> Q:
    """Account managers ``user`` may hand a client to (as lead or admin) or receive handoffs."""
    base = Q(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD])
    if user.is_admin_role or user.role == Role.SALES:
        return base
    if user.team_id:
        return base & Q(team_id=user.team_id)
    return base & Q(pk=user.pk)
