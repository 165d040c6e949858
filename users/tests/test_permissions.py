"""The roles table (DESIGN.md) as pure rules: who may view, edit and reassign an account."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from clients.models import Client, ClientStatus, Contact
from clients.permissions import client_ownership
from tests.factories import ClientFactory, ContactFactory, UserFactory
from users import permissions as rules
from users.models import Role, User

NORTH, SOUTH = 10, 20  # team ids; users and accounts below are plain objects, no database
ALICE, BOB, LENA, OSCAR, SAM, ADA, SUE = 1, 2, 3, 4, 5, 6, 7


def _user(pk: int, role: str, team_id: int | None = None, **extra) -> User:
    return User(pk=pk, username=f"u{pk}", role=role, team_id=team_id, **extra)


USERS = {
    "am_alice": _user(ALICE, Role.ACCOUNT_MANAGER, NORTH),
    "am_bob": _user(BOB, Role.ACCOUNT_MANAGER, NORTH),
    "lead_lena": _user(LENA, Role.TEAM_LEAD, NORTH),
    "am_oscar": _user(OSCAR, Role.ACCOUNT_MANAGER, SOUTH),
    "sales_sam": _user(SAM, Role.SALES),
    "admin_ada": _user(ADA, Role.ADMIN),
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def own(owner=None, team=None, sales=None, locked=True) -> rules.Ownership:
    return rules.Ownership(owner_id=owner, team_id=team, sales_owner_id=sales, sales_locked=locked)


ACCOUNTS = {
    "alice_active": own(ALICE, NORTH, SAM, locked=True),
    "bob_active": own(BOB, NORTH, None, locked=True),
    "oscar_active": own(OSCAR, SOUTH, SAM, locked=True),
    "sam_prospect": own(None, None, SAM, locked=False),
    "sue_prospect": own(None, None, SUE, locked=False),
    "north_unowned": own(None, NORTH, None, locked=True),
}

# Same notation as clients/tests/test_visibility.py: edit, read, 404 (neither).
MATRIX = """
account        am_alice  am_bob  lead_lena  am_oscar  sales_sam  admin_ada
alice_active   edit      read    edit       404       read       edit
bob_active     read      edit    edit       404       404        edit
oscar_active   404       404     404        edit      read       edit
sam_prospect   404       404     404        404       edit       edit
sue_prospect   404       404     404        404       404        edit
north_unowned  read      read    edit       404       404        edit
"""


def _cases():
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header = lines[0][1:]
    return [(row[0], who, access) for row in lines[1:] for who, access in zip(header, row[1:], strict=True)]


CASES = _cases()


@pytest.mark.parametrize(("account", "persona", "access"), CASES, ids=["-".join(c) for c in CASES])
def test_view_and_edit_rules(account, persona, access):
    user, ownership = USERS[persona], ACCOUNTS[account]

    assert rules.can_view(user, ownership) is (access != "404")
    assert rules.can_edit(user, ownership) is (access == "edit")


@pytest.mark.parametrize("locked", [False, True])
def test_sales_edits_only_until_the_account_is_locked(locked):
    ownership = own(ALICE, NORTH, SAM, locked=locked)

    assert rules.can_view(USERS["sales_sam"], ownership)
    assert rules.can_edit(USERS["sales_sam"], ownership) is not locked


@pytest.mark.parametrize("status", ClientStatus.values)
def test_sales_lock_follows_the_client_status(status):
    account = Client(status=status, sales_owner_id=SAM)

    assert client_ownership(account).sales_locked is (
        status not in {ClientStatus.PROSPECT, ClientStatus.HANDOFF_PENDING}
    )


@pytest.mark.parametrize("persona", list(USERS))
def test_inactive_and_anonymous_users_get_nothing(persona):
    inactive = USERS[persona]
    inactive = _user(inactive.pk, inactive.role, inactive.team_id, is_active=False)
    for user in (inactive, AnonymousUser()):
        for ownership in ACCOUNTS.values():
            assert not rules.can_view(user, ownership)
            assert not rules.can_edit(user, ownership)
        assert rules.portfolio_q(user) == rules.portfolio_q(AnonymousUser())


def test_users_without_a_team_see_only_their_own_accounts():
    """A missing team never matches another missing team."""
    loner_am = _user(50, Role.ACCOUNT_MANAGER, None)
    loner_lead = _user(51, Role.TEAM_LEAD, None)

    for user in (loner_am, loner_lead):
        assert not rules.can_view(user, own(None, None, SAM, locked=False))
        assert not rules.can_view(user, own(ALICE, None, None))
        assert rules.can_view(user, own(user.pk, None, None))
        assert rules.can_edit(user, own(user.pk, None, None)), user.role


@pytest.mark.parametrize(
    ("persona", "account", "allowed"),
    [
        ("lead_lena", "alice_active", True),
        ("lead_lena", "north_unowned", True),
        ("lead_lena", "oscar_active", False),
        ("lead_lena", "sam_prospect", False),
        ("am_alice", "alice_active", False),
        ("sales_sam", "sam_prospect", False),
        ("admin_ada", "oscar_active", True),
        ("admin_ada", "sam_prospect", True),
    ],
)
def test_only_leads_in_their_team_and_admins_reassign(persona, account, allowed):
    assert rules.can_reassign_owner(USERS[persona], ACCOUNTS[account]) is allowed


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("am_alice", False),
        ("lead_lena", True),
        ("sales_sam", True),
        ("admin_ada", True),
    ],
)
def test_who_creates_prospects_and_imports(persona, allowed):
    assert rules.can_create_prospects(USERS[persona]) is allowed
    assert rules.can_import_sales_exports(USERS[persona]) is allowed


def test_anonymous_users_create_nothing():
    assert not rules.can_create_prospects(AnonymousUser())


# --- the same rules in SQL -----------------------------------------------------------------------


@pytest.fixture
def accounts_in_db(personas, team_north, team_south) -> list[Client]:
    p = personas
    sue = UserFactory(username="sales_sue", role=Role.SALES)
    return [
        ClientFactory(owner=p["am_alice"], team=team_north, sales_owner=p["sales_sam"]),
        ClientFactory(owner=p["am_bob"], team=team_north),
        ClientFactory(owner=p["am_oscar"], team=team_south, sales_owner=p["sales_sam"]),
        ClientFactory(owner=None, team=None, sales_owner=p["sales_sam"], status=ClientStatus.PROSPECT),
        ClientFactory(owner=None, team=None, sales_owner=sue, status=ClientStatus.PROSPECT),
        ClientFactory(owner=None, team=team_north),
        ClientFactory(owner=None, team=None, sales_owner=None),
    ]


def test_portfolio_filter_agrees_with_can_view(personas, accounts_in_db):
    """Lists (SQL) and pages (Python) must never disagree about who sees an account."""
    for (name, user), account in itertools.product(personas.items(), accounts_in_db):
        in_sql = Client.objects.filter(rules.portfolio_q(user), pk=account.pk).exists()
        assert in_sql is rules.can_view(user, client_ownership(account)), (name, account.pk)


def test_portfolio_filter_through_a_relation(personas, accounts_in_db):
    """With a prefix the filter reaches accounts through a relation (contacts, handoffs, interactions)."""
    for account in accounts_in_db:
        ContactFactory(client=account)
    for user in personas.values():
        contacts = Contact.objects.filter(rules.portfolio_q(user, prefix="client__"))
        via_contacts = set(contacts.values_list("client_id", flat=True))
        direct = set(Client.objects.filter(rules.portfolio_q(user)).values_list("pk", flat=True))
        assert via_contacts == direct


def test_assignable_owners(personas, team_north):
    gone = UserFactory(username="gone_gina", role=Role.ACCOUNT_MANAGER, team=team_north, is_active=False)
    names = {
        name: set(User.objects.filter(rules.assignable_owners_q(user)).values_list("username", flat=True))
        for name, user in personas.items()
    }
    everyone = {"am_alice", "am_bob", "lead_lena", "am_oscar"}

    assert names["lead_lena"] == names["am_alice"] == {"am_alice", "am_bob", "lead_lena"}
    assert names["am_oscar"] == {"am_oscar"}
    assert names["sales_sam"] == names["admin_ada"] == everyone
    assert gone.username not in set().union(*names.values())
