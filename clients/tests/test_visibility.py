"""Who sees and who changes what (DESIGN.md, "Roles and visibility"), page by page and endpoint by endpoint.

Each table below is the specification: one row per object, one column per persona. The tests read
it cell by cell, so a failure names the object, the persona and the expected access.

    edit  the persona may see and change it (pages 200, writes go through)
    read  the persona sees it, every write is refused with 403 and changes nothing
    404   the persona cannot tell it exists: pages and endpoints answer 404, lists never show it
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from clients.models import Client, ClientStatus, Contact, Handoff, HandoffStatus
from clients.serializers import ClientSerializer
from tests.factories import ClientFactory, ContactFactory, HandoffFactory
from users.models import Team, User

EDIT, READ, NONE = "edit", "read", "404"
PERSONAS = ["am_alice", "am_bob", "lead_lena", "am_oscar", "sales_sam", "admin_ada"]

CLIENT_MATRIX = """
client         am_alice  am_bob  lead_lena  am_oscar  sales_sam  admin_ada
alice_client   edit      read    edit       404       read       edit
bob_client     read      edit    edit       404       404        edit
oscar_client   404       404     404        edit      404        edit
sam_prospect   404       404     404        404       edit       edit
"""
# alice_client: Alice's, team North, sold by Sam and accepted (active): Sam only reads it.
# bob_client: Bob's, team North, no sales owner.  oscar_client: team South.
# sam_prospect: Sam's prospect, no owner or team yet.

# "My clients" (/clients/, ?scope=mine): the ones the persona owns (sales: sold).
MINE = {
    "am_alice": {"alice_client"},
    "am_bob": {"bob_client"},
    "lead_lena": set(),
    "am_oscar": {"oscar_client"},
    "sales_sam": {"alice_client", "sam_prospect"},
    "admin_ada": set(),
}

# The clients behind the pending handoffs below are still Sam's prospects: besides Sam only the admin
# sees them in client lists (the receiving team reads the handoff, not yet the client).
SEES_PENDING_CLIENTS = {"sales_sam", "admin_ada"}


def _listed(persona: str, scope: str | None) -> set[str]:
    """Keys of the clients ``persona`` must find in a client list of ``scope`` (default: team)."""
    if scope == "mine":
        expected = set(MINE[persona])
    else:
        expected = {obj for obj, who, access in CLIENT_CASES if who == persona and access != NONE}
    if persona == "sales_sam" or (persona in SEES_PENDING_CLIENTS and scope != "mine"):
        expected |= {"pending:to_alice", "pending:to_north", "pending:to_south"}
    return expected


# decide: may accept or return it (and reads it); edit: may change it (sales, its sender);
# admin: both.  Every handoff here is pending and was sent by Sam.
HANDOFF_MATRIX = """
handoff    am_alice  am_bob  lead_lena  am_oscar  sales_sam  admin_ada
to_alice   decide    read    decide     404       edit       admin
to_north   decide    decide  decide     404       edit       admin
to_south   404       404     404        decide    edit       admin
"""
# to_alice: to Alice in team North.  to_north: to team North, nobody in particular.  to_south: to team South.
DECIDE, ADMIN = "decide", "admin"
# The AM who takes the client when an admin accepts (an admin cannot own clients).
ADMIN_ACCEPTS_FOR = {"to_alice": "am_alice", "to_north": "am_bob", "to_south": "am_oscar"}


def _parse(table: str) -> list[tuple[str, str, str]]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert header == PERSONAS
    return [(row[0], persona, access) for row in rows for persona, access in zip(header, row[1:], strict=True)]


CLIENT_CASES = _parse(CLIENT_MATRIX)
HANDOFF_CASES = _parse(HANDOFF_MATRIX)


def _ids(case: tuple[str, str, str]) -> str:
    return "-".join(case)


client_cases = pytest.mark.parametrize(("obj", "persona", "access"), CLIENT_CASES, ids=map(_ids, CLIENT_CASES))
handoff_cases = pytest.mark.parametrize(("obj", "persona", "access"), HANDOFF_CASES, ids=map(_ids, HANDOFF_CASES))


def _expect(access: str, *, allowed: int, read: int = 403) -> int:
    return {EDIT: allowed, READ: read, NONE: 404}[access]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    users: dict[str, User]
    clients: dict[str, Client]
    contacts: dict[str, Contact]
    handoffs: dict[str, Handoff]

    def client(self, key: str) -> Client:
        """A client by its key in CLIENT_MATRIX, or ``pending:<handoff key>`` for a handed-off prospect."""
        if key.startswith("pending:"):
            return self.handoffs[key.removeprefix("pending:")].client
        return self.clients[key]

    def all_clients(self) -> dict[str, Client]:
        return {**self.clients, **{f"pending:{key}": h.client for key, h in self.handoffs.items()}}


@pytest.fixture
def world(personas, alice_client, team_north: Team, team_south: Team) -> World:
    sam = personas["sales_sam"]
    clients = {
        "alice_client": alice_client,
        "bob_client": ClientFactory(name="Bobcat Mining", owner=personas["am_bob"], team=team_north),
        "oscar_client": ClientFactory(name="Southwind Foods", owner=personas["am_oscar"], team=team_south),
        "sam_prospect": ClientFactory(
            name="Prospect Paper", status=ClientStatus.PROSPECT, sales_owner=sam, owner=None, team=None
        ),
    }
    contacts = {"alice_client": alice_client.contacts.get()}
    for key, account in clients.items():
        if key != "alice_client":
            contacts[key] = ContactFactory(client=account, first_name=f"Contact-of-{key}")

    def pending(name: str, **target) -> Handoff:
        account = ClientFactory(name=name, status=ClientStatus.HANDOFF_PENDING, sales_owner=sam)
        return HandoffFactory(client=account, created_by=sam, **target)

    handoffs = {
        "to_alice": pending("Pending Pumps", to_am=personas["am_alice"], to_team=team_north),
        "to_north": pending("Northbound Nets", to_team=team_north),
        "to_south": pending("Southern Seeds", to_team=team_south),
    }
    return World(users=personas, clients=clients, contacts=contacts, handoffs=handoffs)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def _client_form_data(account: Client, **overrides) -> dict:
    data = {
        "name": account.name,
        "external_id": account.external_id or "",
        "status": account.status,
        "segment": account.segment,
        "industry": account.industry,
        "website": account.website,
        "city": account.city,
        "country": account.country,
        "owner": account.owner_id or "",
        "team": account.team_id or "",
        "arr": str(account.arr),
        "currency": account.currency,
        "contract_start": account.contract_start.isoformat() if account.contract_start else "",
        "renewal_date": account.renewal_date.isoformat() if account.renewal_date else "",
        "contact_cadence_days": account.contact_cadence_days,
        "preferred_channel": account.preferred_channel,
        "version": account.version,
    }
    if account.is_key_account:
        data["is_key_account"] = "on"
    data.update(overrides)
    return data


def _contact_form_data(contact: Contact | None = None, **overrides) -> dict:
    data = {
        "first_name": contact.first_name if contact else "Nina",
        "last_name": contact.last_name if contact else "New",
        "job_title": "",
        "email": "",
        "phone": "",
        "role": contact.role if contact else "user",
        "influence": 2,
        "relationship_strength": 2,
        "reports_to": "",
        "is_active": "on",
        "left_on": "",
        "notes": "",
        "version": contact.version if contact else "",
    }
    data.update(overrides)
    return data


def _handoff_form_data(handoff: Handoff, **overrides) -> dict:
    data = {
        "deal_name": handoff.deal_name,
        "deal_external_id": handoff.deal_external_id or "",
        "deal_amount": str(handoff.deal_amount or ""),
        "currency": handoff.currency,
        "close_date": handoff.close_date.isoformat() if handoff.close_date else "",
        "to_am": handoff.to_am_id or "",
        "to_team": handoff.to_team_id or "",
        "scope": handoff.scope,
        "goals": handoff.goals,
        "success_criteria": handoff.success_criteria,
        "stakeholder_notes": handoff.stakeholder_notes,
        "risks": handoff.risks,
        "commitments_text": "",
        "version": handoff.version,
    }
    data.update(overrides)
    return data


# --- client pages ------------------------------------------------------------------------------


@client_cases
def test_client_detail_page(client, world, obj, persona, access):
    account = world.clients[obj]
    client.force_login(world.users[persona])

    response = client.get(reverse("clients:detail", args=[account.pk]))

    assert response.status_code == _expect(access, allowed=200, read=200)
    if access != NONE:
        assert response.context["can_edit"] is (access == EDIT)
        # The page offers the edit and archive actions only to those who may use them.
        assert (reverse("clients:edit", args=[account.pk]) in response.content.decode()) is (access == EDIT)
        assert (reverse("clients:archive", args=[account.pk]) in response.content.decode()) is (access == EDIT)


@client_cases
def test_client_history_page(client, world, obj, persona, access):
    account = world.clients[obj]
    client.force_login(world.users[persona])

    response = client.get(reverse("clients:history", args=[account.pk]))

    assert response.status_code == _expect(access, allowed=200, read=200)


@client_cases
def test_client_edit_page_get(client, world, obj, persona, access):
    account = world.clients[obj]
    client.force_login(world.users[persona])

    response = client.get(reverse("clients:edit", args=[account.pk]))

    assert response.status_code == _expect(access, allowed=200)


@client_cases
def test_client_edit_page_post(client, world, obj, persona, access):
    account = world.clients[obj]
    client.force_login(world.users[persona])

    response = client.post(
        reverse("clients:edit", args=[account.pk]), _client_form_data(account, name="Renamed by test")
    )

    assert response.status_code == _expect(access, allowed=302)
    account.refresh_from_db()
    if access == EDIT:
        assert response.url == reverse("clients:detail", args=[account.pk])
        assert (account.name, account.version) == ("Renamed by test", 2)
    else:
        assert (account.name, account.version) != ("Renamed by test", 2)
        assert account.version == 1


@client_cases
def test_client_archive_page(client, world, obj, persona, access):
    account = world.clients[obj]
    client.force_login(world.users[persona])
    url = reverse("clients:archive", args=[account.pk])

    assert client.get(url).status_code == _expect(access, allowed=200)
    assert client.post(url).status_code == _expect(access, allowed=302)

    account.refresh_from_db()
    assert (account.archived_at is not None) is (access == EDIT)


@client_cases
def test_contact_create_page(client, world, obj, persona, access):
    account = world.clients[obj]
    client.force_login(world.users[persona])
    url = reverse("clients:contact_create", args=[account.pk])
    before = account.contacts.count()

    assert client.get(url).status_code == _expect(access, allowed=200)
    assert client.post(url, _contact_form_data(first_name="Nina")).status_code == _expect(access, allowed=302)

    assert account.contacts.count() == before + (1 if access == EDIT else 0)


@client_cases
def test_contact_edit_page(client, world, obj, persona, access):
    contact = world.contacts[obj]
    client.force_login(world.users[persona])
    url = reverse("clients:contact_edit", args=[contact.pk])

    assert client.get(url).status_code == _expect(access, allowed=200)
    response = client.post(url, _contact_form_data(contact, job_title="Head of Purchasing"))
    assert response.status_code == _expect(access, allowed=302)

    contact.refresh_from_db()
    assert (contact.job_title == "Head of Purchasing") is (access == EDIT)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("scope", ["mine", "team"])
def test_client_list_pages_show_exactly_the_visible_clients(client, world, persona, scope):
    expected = _listed(persona, scope)
    client.force_login(world.users[persona])

    response = client.get(reverse(f"clients:{scope}"))

    assert response.status_code == 200
    shown = {account.pk for account in response.context["page"].object_list}
    assert shown == {world.client(obj).pk for obj in expected}
    body = response.content.decode()
    for obj, account in world.all_clients().items():
        assert (account.name in body) is (obj in expected), obj


@pytest.mark.parametrize("persona", PERSONAS)
def test_client_search_does_not_reach_other_teams(client, world, persona):
    """The search box (name or external id) searches the persona's portfolio only."""
    oscar_client = world.clients["oscar_client"]
    client.force_login(world.users[persona])

    for query in (oscar_client.name, oscar_client.external_id):
        response = client.get(reverse("clients:team"), {"q": query})
        found = [account.pk for account in response.context["page"].object_list]
        assert found == ([oscar_client.pk] if persona in {"am_oscar", "admin_ada"} else [])


# --- sales: editable while a prospect, read-only once an AM has it ------------------------------


@pytest.mark.parametrize(
    ("status", "sales_may_edit"),
    [
        (ClientStatus.PROSPECT, True),
        (ClientStatus.HANDOFF_PENDING, True),
        (ClientStatus.ONBOARDING, False),
        (ClientStatus.ACTIVE, False),
        (ClientStatus.PAUSED, False),
        (ClientStatus.CHURNED, False),
    ],
)
def test_sales_access_follows_the_client_status(client, api, sales_sam, am_alice, status, sales_may_edit):
    owner = None if status in {ClientStatus.PROSPECT, ClientStatus.HANDOFF_PENDING} else am_alice
    account = ClientFactory(status=status, sales_owner=sales_sam, owner=owner, team=owner.team if owner else None)
    client.force_login(sales_sam)
    api.force_authenticate(sales_sam)

    assert client.get(reverse("clients:detail", args=[account.pk])).status_code == 200
    assert client.get(reverse("clients:edit", args=[account.pk])).status_code == (200 if sales_may_edit else 403)
    assert api.get(f"/api/v1/clients/{account.pk}/").status_code == 200
    response = api.patch(f"/api/v1/clients/{account.pk}/", {"industry": "Paper", "version": 1}, format="json")
    assert response.status_code == (200 if sales_may_edit else 403)

    account.refresh_from_db()
    assert (account.industry == "Paper") is sales_may_edit
    assert account.status == status


def test_sales_cannot_move_a_prospect_past_the_handoff(api, sales_sam):
    account = ClientFactory(status=ClientStatus.PROSPECT, sales_owner=sales_sam, owner=None, team=None)
    api.force_authenticate(sales_sam)

    response = api.patch(f"/api/v1/clients/{account.pk}/", {"status": "active", "version": 1}, format="json")

    assert response.status_code == 403
    account.refresh_from_db()
    assert account.status == ClientStatus.PROSPECT


# --- client endpoints ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("scope", ["mine", "team", None])
def test_client_list_endpoint_returns_exactly_the_visible_clients(api, world, persona, scope):
    expected = _listed(persona, scope)  # without a scope the endpoint lists the team's clients
    api.force_authenticate(world.users[persona])

    response = api.get("/api/v1/clients/", {"scope": scope} if scope else {})

    assert response.status_code == 200
    assert response.data["count"] == len(expected)
    assert {row["id"] for row in response.data["results"]} == {world.client(obj).pk for obj in expected}


@client_cases
def test_client_endpoint_get(api, world, obj, persona, access):
    account = world.clients[obj]
    api.force_authenticate(world.users[persona])

    response = api.get(f"/api/v1/clients/{account.pk}/")

    assert response.status_code == _expect(access, allowed=200, read=200)
    if access != NONE:
        assert response.data["name"] == account.name
    else:
        assert account.name not in response.content.decode()


@client_cases
def test_client_endpoint_patch(api, world, obj, persona, access):
    account = world.clients[obj]
    api.force_authenticate(world.users[persona])

    response = api.patch(f"/api/v1/clients/{account.pk}/", {"city": "Tromsø", "version": 1}, format="json")

    assert response.status_code == _expect(access, allowed=200)
    account.refresh_from_db()
    assert (account.city == "Tromsø") is (access == EDIT)
    assert account.version == (2 if access == EDIT else 1)


@client_cases
def test_client_endpoint_put(api, world, obj, persona, access):
    account = world.clients[obj]
    api.force_authenticate(world.users[persona])
    payload = {**ClientSerializer(account).data, "name": "Put by test"}

    response = api.put(f"/api/v1/clients/{account.pk}/", payload, format="json")

    assert response.status_code == _expect(access, allowed=200)
    account.refresh_from_db()
    assert (account.name == "Put by test") is (access == EDIT)
    if access == EDIT:
        assert response.data["version"] == 2


@client_cases
def test_client_endpoint_delete(api, world, obj, persona, access):
    account = world.clients[obj]
    api.force_authenticate(world.users[persona])

    response = api.delete(f"/api/v1/clients/{account.pk}/")

    assert response.status_code == _expect(access, allowed=204)
    account.refresh_from_db()  # never erased
    assert (account.archived_at is not None) is (access == EDIT)


# --- contact endpoints ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_list_endpoint_returns_contacts_of_visible_clients_only(api, world, persona):
    visible = {obj for obj, who, access in CLIENT_CASES if who == persona and access != NONE}
    api.force_authenticate(world.users[persona])

    response = api.get("/api/v1/contacts/")

    assert response.status_code == 200
    assert {row["id"] for row in response.data["results"]} == {world.contacts[obj].pk for obj in visible}


@client_cases
def test_contact_endpoint_get_and_patch(api, world, obj, persona, access):
    contact = world.contacts[obj]
    api.force_authenticate(world.users[persona])
    url = f"/api/v1/contacts/{contact.pk}/"

    assert api.get(url).status_code == _expect(access, allowed=200, read=200)
    response = api.patch(url, {"job_title": "CFO", "version": contact.version}, format="json")

    assert response.status_code == _expect(access, allowed=200)
    contact.refresh_from_db()
    assert (contact.job_title == "CFO") is (access == EDIT)


@client_cases
def test_contact_endpoint_create(api, world, obj, persona, access):
    account = world.clients[obj]
    api.force_authenticate(world.users[persona])
    before = Contact.objects.count()

    response = api.post("/api/v1/contacts/", {"client": account.pk, "first_name": "Nina"}, format="json")

    # A client the persona cannot see is an invalid choice for the field (400): it does not say it exists.
    assert response.status_code == {EDIT: 201, READ: 403, NONE: 400}[access]
    assert Contact.objects.count() == before + (1 if access == EDIT else 0)
    if access == NONE:
        assert account.name not in response.content.decode()


# --- handoff pages -------------------------------------------------------------------------------


def _handoff_expect(access: str, *, needs: set[str], allowed: int) -> int:
    if access == NONE:
        return 404
    return allowed if access in needs else 403


@handoff_cases
def test_handoff_detail_page(client, world, obj, persona, access):
    handoff = world.handoffs[obj]
    client.force_login(world.users[persona])

    response = client.get(reverse("clients:handoff_detail", args=[handoff.pk]))

    assert response.status_code == (404 if access == NONE else 200)
    if access != NONE:
        assert response.context["can_decide"] is (access in {DECIDE, ADMIN})
        assert response.context["can_edit"] is (access in {EDIT, ADMIN})


@handoff_cases
def test_handoff_edit_page(client, world, obj, persona, access):
    handoff = world.handoffs[obj]
    client.force_login(world.users[persona])
    url = reverse("clients:handoff_edit", args=[handoff.pk])

    assert client.get(url).status_code == _handoff_expect(access, needs={EDIT, ADMIN}, allowed=200)
    response = client.post(url, _handoff_form_data(handoff, risks="Tight deadline."))
    assert response.status_code == _handoff_expect(access, needs={EDIT, ADMIN}, allowed=302)

    handoff.refresh_from_db()
    assert (handoff.risks == "Tight deadline.") is (access in {EDIT, ADMIN})


@handoff_cases
def test_handoff_accept_page(client, world, obj, persona, access):
    handoff = world.handoffs[obj]
    client.force_login(world.users[persona])
    data = {"owner": world.users[ADMIN_ACCEPTS_FOR[obj]].pk} if access == ADMIN else {}

    response = client.post(reverse("clients:handoff_accept", args=[handoff.pk]), data)

    assert response.status_code == _handoff_expect(access, needs={DECIDE, ADMIN}, allowed=302)
    handoff.refresh_from_db()
    handoff.client.refresh_from_db()
    if access in {DECIDE, ADMIN}:
        assert response.url == reverse("clients:detail", args=[handoff.client_id])
        assert handoff.status == HandoffStatus.ACCEPTED
        assert handoff.client.status == ClientStatus.ONBOARDING
        assert handoff.client.owner is not None
    else:
        assert handoff.status == HandoffStatus.PENDING
        assert handoff.client.status == ClientStatus.HANDOFF_PENDING


@handoff_cases
def test_handoff_return_page(client, world, obj, persona, access):
    handoff = world.handoffs[obj]
    client.force_login(world.users[persona])
    url = reverse("clients:handoff_return", args=[handoff.pk])

    assert client.get(url).status_code == _handoff_expect(access, needs={DECIDE, ADMIN}, allowed=200)
    response = client.post(url, {"reason": "No decision maker named."})
    assert response.status_code == _handoff_expect(access, needs={DECIDE, ADMIN}, allowed=302)

    handoff.refresh_from_db()
    handoff.client.refresh_from_db()
    returned = access in {DECIDE, ADMIN}
    assert handoff.status == (HandoffStatus.RETURNED if returned else HandoffStatus.PENDING)
    assert handoff.client.status == (ClientStatus.PROSPECT if returned else ClientStatus.HANDOFF_PENDING)


@pytest.mark.parametrize("persona", PERSONAS)
def test_handoff_list_page_shows_exactly_the_visible_handoffs(client, world, persona):
    visible = {obj for obj, who, access in HANDOFF_CASES if who == persona and access != NONE}
    client.force_login(world.users[persona])

    response = client.get(reverse("clients:handoffs"))

    assert response.status_code == 200
    assert {h.pk for h, _ in response.context["rows"]} == {world.handoffs[obj].pk for obj in visible}
    body = response.content.decode()
    for obj, handoff in world.handoffs.items():
        assert (handoff.deal_name in body) is (obj in visible), obj


# --- handoff endpoints ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_handoff_list_endpoint_returns_exactly_the_visible_handoffs(api, world, persona):
    visible = {obj for obj, who, access in HANDOFF_CASES if who == persona and access != NONE}
    api.force_authenticate(world.users[persona])

    response = api.get("/api/v1/handoffs/")

    assert response.status_code == 200
    assert {row["id"] for row in response.data["results"]} == {world.handoffs[obj].pk for obj in visible}


@handoff_cases
def test_handoff_endpoint_get_and_patch(api, world, obj, persona, access):
    handoff = world.handoffs[obj]
    api.force_authenticate(world.users[persona])
    url = f"/api/v1/handoffs/{handoff.pk}/"

    assert api.get(url).status_code == (404 if access == NONE else 200)
    response = api.patch(url, {"risks": "Tight deadline.", "version": handoff.version}, format="json")

    assert response.status_code == _handoff_expect(access, needs={EDIT, ADMIN}, allowed=200)
    handoff.refresh_from_db()
    assert (handoff.risks == "Tight deadline.") is (access in {EDIT, ADMIN})


@handoff_cases
def test_handoff_endpoint_accept(api, world, obj, persona, access):
    handoff = world.handoffs[obj]
    api.force_authenticate(world.users[persona])
    data = {"owner": world.users[ADMIN_ACCEPTS_FOR[obj]].pk} if access == ADMIN else {}

    response = api.post(f"/api/v1/handoffs/{handoff.pk}/accept/", data, format="json")

    assert response.status_code == _handoff_expect(access, needs={DECIDE, ADMIN}, allowed=200)
    handoff.refresh_from_db()
    accepted = access in {DECIDE, ADMIN}
    assert handoff.status == (HandoffStatus.ACCEPTED if accepted else HandoffStatus.PENDING)
    if accepted:
        assert response.data["status"] == HandoffStatus.ACCEPTED


@handoff_cases
def test_handoff_endpoint_return(api, world, obj, persona, access):
    handoff = world.handoffs[obj]
    api.force_authenticate(world.users[persona])

    response = api.post(f"/api/v1/handoffs/{handoff.pk}/return/", {"reason": "Scope unclear."}, format="json")

    assert response.status_code == _handoff_expect(access, needs={DECIDE, ADMIN}, allowed=200)
    handoff.refresh_from_db()
    returned = access in {DECIDE, ADMIN}
    assert handoff.status == (HandoffStatus.RETURNED if returned else HandoffStatus.PENDING)
    assert handoff.return_reason == ("Scope unclear." if returned else "")


def test_sales_reads_the_client_once_its_handoff_is_accepted(client, world):
    """The handoff flow end to end for Sam: edit while pending, read-only after Alice accepts."""
    handoff, sam, alice = world.handoffs["to_alice"], world.users["sales_sam"], world.users["am_alice"]
    account = handoff.client
    client.force_login(sam)
    assert client.get(reverse("clients:edit", args=[account.pk])).status_code == 200

    client.force_login(alice)
    assert client.post(reverse("clients:handoff_accept", args=[handoff.pk])).status_code == 302

    client.force_login(sam)
    assert client.get(reverse("clients:detail", args=[account.pk])).status_code == 200
    assert client.get(reverse("clients:edit", args=[account.pk])).status_code == 403
    assert client.get(reverse("clients:handoff_edit", args=[handoff.pk])).status_code == 403
    account.refresh_from_db()
    assert (account.owner, account.team, account.status) == (alice, alice.team, ClientStatus.ONBOARDING)


def test_unauthenticated_requests_are_refused(client, api, world):
    account = world.clients["alice_client"]
    response = client.get(reverse("clients:detail", args=[account.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert api.get("/api/v1/clients/").status_code in {401, 403}
    assert api.get(f"/api/v1/clients/{account.pk}/").status_code in {401, 403}
