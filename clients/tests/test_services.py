"""Writes to clients, contacts and handoffs (clients/services.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients import services
from clients.models import Client, ClientStatus, Contact, ContactRole, Handoff, HandoffStatus
from clients.permissions import handoff_get_for_user
from clients.readiness import ReadinessLevel
from clients.services import HANDOFF_ACCEPTED
from core import events
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from tests.factories import ClientFactory, ContactFactory, UserFactory
from users.models import Role

CLOSED = dt.date.today() - dt.timedelta(days=5)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sales_sue(db):
    return UserFactory(username="sales_sue", first_name="Sue", role=Role.SALES, sales_crm_id="005SUE")


@pytest.fixture
def prospect(sales_sam):
    return services.prospect_create(by=sales_sam, name="  Acme GmbH ", external_id=" ACC-1 ")


def send(by, client, *, deal_external_id="OPP-1", **fields):
    """A complete handoff (ready unless overridden), sent by ``by``."""
    values = {
        "deal_name": "Acme platform",
        "deal_amount": Decimal("120000"),
        "currency": "USD",
        "close_date": CLOSED,
        "goals": "Cut delivery time by 20%.",
        "success_criteria": "Under 2 days by Q3.",
        "scope": "Platform, 200 seats.",
        "risks": "None known.",
        "commitments": [{"text": "Data migration", "due_date": "2026-12-01"}],
    }
    values.update(fields)
    return services.handoff_create(by=by, client=client, deal_external_id=deal_external_id, **values)


@pytest.fixture
def north_handoff(sales_sam, prospect, team_north):
    """Pending, ready, addressed to team North (no specific AM)."""
    dora = services.contact_create(client=prospect, by=sales_sam, first_name="Dora", role=ContactRole.DECISION_MAKER)
    handoff, _ = send(sales_sam, prospect, to_team=team_north, stakeholders=[dora])
    return handoff


@pytest.fixture
def recorded_hook(monkeypatch):
    """Register a hook for one test only; it records what it saw at call time."""
    monkeypatch.setitem(events._subscribers, HANDOFF_ACCEPTED, list(events.subscribers(HANDOFF_ACCEPTED)))
    seen = []

    def hook(handoff, by):
        client = Client.objects.get(pk=handoff.client_id)
        seen.append(
            {
                "handoff": handoff,
                "by": by,
                "status_in_db": Handoff.objects.get(pk=handoff.pk).status,
                "client_status_in_db": client.status,
                "client_owner_in_db": client.owner_id,
            }
        )

    events.subscribe(HANDOFF_ACCEPTED, hook)
    events.subscribe(HANDOFF_ACCEPTED, hook)  # subscribing twice runs it once
    return seen


def history_count():
    return (
        Client.history.count(),
        Contact.history.count(),
        Handoff.history.count(),
    )


# --- prospects and handoff_create ----------------------------------------------------------------


def test_sales_creates_prospect_then_handoff_makes_client_handoff_pending(sales_sam, prospect, team_north):
    assert prospect.name == "Acme GmbH"
    assert prospect.external_id == "ACC-1"
    assert prospect.status == ClientStatus.PROSPECT
    assert prospect.sales_owner == sales_sam
    assert prospect.owner is None

    handoff, created = send(sales_sam, prospect, to_team=team_north, commitments=["  Weekly call "])

    assert created is True
    assert handoff.created_by == sales_sam
    assert handoff.status == HandoffStatus.PENDING
    assert handoff.commitments == [{"text": "Weekly call", "due_date": None}]
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.HANDOFF_PENDING
    assert prospect.sales_owner == sales_sam
    assert prospect.version == 2


def test_handoff_create_is_idempotent_on_deal_external_id(sales_sam, prospect, team_north):
    first, created = send(sales_sam, prospect, to_team=team_north, deal_external_id="OPP-9")
    before = history_count()
    version = Client.objects.get(pk=prospect.pk).version

    second, created_again = send(sales_sam, prospect, to_team=team_north, deal_external_id=" OPP-9 ", deal_name="X")

    assert (created, created_again) == (True, False)
    assert second.pk == first.pk
    assert second.deal_name == "Acme platform"
    assert Handoff.objects.count() == 1
    assert history_count() == before
    assert Client.objects.get(pk=prospect.pk).version == version


def test_someone_elses_deal_id_is_refused(sales_sam, sales_sue, prospect, team_north):
    _original, _ = send(sales_sam, prospect, to_team=team_north, deal_external_id="OPP-7")
    sue_prospect = services.prospect_create(by=sales_sue, name="Beta AG")

    with pytest.raises(ApplicationError) as exc_info:
        send(sales_sue, sue_prospect, deal_external_id="OPP-7")

    assert exc_info.value.field == "deal_external_id"
    assert Handoff.objects.count() == 1
    assert Handoff.objects.get().client == prospect
    assert Client.objects.get(pk=sue_prospect.pk).status == ClientStatus.PROSPECT


def test_admin_gets_the_existing_handoff_back(sales_sam, admin_ada, prospect, team_north):
    original, _ = send(sales_sam, prospect, to_team=team_north)
    again, created = send(admin_ada, prospect, to_team=team_north)
    assert (again.pk, created) == (original.pk, False)


def test_account_manager_cannot_send_handoffs(am_alice, team_north):
    client = services.client_create(by=am_alice, name="Own client")
    with pytest.raises(NotAllowedError):
        send(am_alice, client, to_team=team_north)
    assert not Handoff.objects.exists()


def test_sales_cannot_hand_off_another_reps_prospect(sales_sue, prospect, team_north):
    with pytest.raises(NotAllowedError):
        send(sales_sue, prospect, to_team=team_north)
    assert not Handoff.objects.exists()


def test_second_pending_handoff_for_the_same_client_is_refused(sales_sam, prospect, team_north):
    send(sales_sam, prospect, to_team=team_north, deal_external_id="OPP-1")
    with pytest.raises(ApplicationError, match="already has a pending handoff"):
        send(sales_sam, prospect, to_team=team_north, deal_external_id="OPP-2")
    assert Handoff.objects.count() == 1


def test_managed_client_cannot_be_handed_off_again(admin_ada, alice_client, team_north):
    with pytest.raises(ApplicationError, match="already has an account manager"):
        send(admin_ada, alice_client, to_team=team_north)


def test_handoff_to_an_am_outside_the_chosen_team_is_refused(sales_sam, prospect, team_north, am_oscar):
    with pytest.raises(ApplicationError) as exc_info:
        send(sales_sam, prospect, to_team=team_north, to_am=am_oscar)
    assert exc_info.value.field == "to_am"


def test_handoff_to_a_sales_rep_is_refused(sales_sam, sales_sue, prospect):
    with pytest.raises(ApplicationError, match="active account manager"):
        send(sales_sam, prospect, to_am=sales_sue)


def test_foreign_stakeholders_roll_the_whole_handoff_back(sales_sam, prospect, team_north, alice_client):
    foreign = alice_client.contacts.get()
    with pytest.raises(ApplicationError) as exc_info:
        send(sales_sam, prospect, to_team=team_north, stakeholders=[foreign])
    assert exc_info.value.field == "stakeholders"
    assert not Handoff.objects.exists()
    assert Client.objects.get(pk=prospect.pk).status == ClientStatus.PROSPECT


def test_bad_commitments_are_refused_with_the_field(sales_sam, prospect, team_north):
    with pytest.raises(ApplicationError) as exc_info:
        send(sales_sam, prospect, to_team=team_north, commitments=[{"text": "x", "due_date": "soon"}])
    assert exc_info.value.field == "commitments"
    assert not Handoff.objects.exists()


def test_readiness_of_a_saved_handoff_sees_its_stakeholders(sales_sam, prospect, north_handoff):
    assert services.handoff_readiness(north_handoff).level == ReadinessLevel.READY
    user = services.contact_create(client=prospect, by=sales_sam, first_name="Uwe", role=ContactRole.USER)
    services.handoff_update(handoff=north_handoff, by=sales_sam, expected_version=None, stakeholders=[user])
    readiness = services.handoff_readiness(Handoff.objects.get(pk=north_handoff.pk))
    assert readiness.level == ReadinessLevel.NEEDS_REVIEW
    assert readiness.to_review == ["No decision maker among the stakeholders."]


# --- handoff_accept --------------------------------------------------------------------------------


def test_am_of_the_addressed_team_accepts(am_alice, north_handoff, recorded_hook):
    before = timezone.now()
    accepted = services.handoff_accept(handoff=north_handoff, by=am_alice)

    assert accepted.status == HandoffStatus.ACCEPTED
    assert accepted.decided_by == am_alice
    assert accepted.decided_at >= before
    client = Client.objects.get(pk=north_handoff.client_id)
    assert client.owner == am_alice
    assert client.team == am_alice.team
    assert client.status == ClientStatus.ONBOARDING
    assert client.arr == Decimal("120000.00")
    assert client.currency == "USD"
    assert client.contract_start == CLOSED

    assert len(recorded_hook) == 1
    call = recorded_hook[0]
    assert call["handoff"].pk == north_handoff.pk
    assert call["by"] == am_alice
    # The hook runs after the writes, inside the same transaction: it sees the accepted state.
    assert call["status_in_db"] == HandoffStatus.ACCEPTED
    assert call["client_status_in_db"] == ClientStatus.ONBOARDING
    assert call["client_owner_in_db"] == am_alice.pk


def test_failing_hook_rolls_the_acceptance_back(monkeypatch, am_alice, north_handoff):
    monkeypatch.setitem(events._subscribers, HANDOFF_ACCEPTED, [])

    def broken(handoff, by):
        raise ApplicationError("Follow-ups could not be created.")

    events.subscribe(HANDOFF_ACCEPTED, broken)
    with pytest.raises(ApplicationError, match="Follow-ups"):
        services.handoff_accept(handoff=north_handoff, by=am_alice)

    assert Handoff.objects.get(pk=north_handoff.pk).status == HandoffStatus.PENDING
    client = Client.objects.get(pk=north_handoff.client_id)
    assert (client.status, client.owner_id) == (ClientStatus.HANDOFF_PENDING, None)


def test_handoff_addressed_to_an_am_goes_to_that_am_when_the_lead_accepts(
    sales_sam, lead_lena, am_bob, prospect, recorded_hook
):
    handoff, _ = send(sales_sam, prospect, to_am=am_bob)
    services.handoff_accept(handoff=handoff, by=lead_lena)
    client = Client.objects.get(pk=prospect.pk)
    assert client.owner == am_bob
    assert client.team == am_bob.team
    assert Handoff.objects.get(pk=handoff.pk).decided_by == lead_lena
    assert recorded_hook[0]["by"] == lead_lena


def test_lead_accepts_on_behalf_of_an_am_of_the_team(lead_lena, am_bob, north_handoff):
    services.handoff_accept(handoff=north_handoff, by=lead_lena, owner=am_bob)
    assert Client.objects.get(pk=north_handoff.client_id).owner == am_bob


def test_lead_cannot_give_the_client_to_another_team(lead_lena, am_oscar, north_handoff):
    with pytest.raises(NotAllowedError):
        services.handoff_accept(handoff=north_handoff, by=lead_lena, owner=am_oscar)
    assert Handoff.objects.get(pk=north_handoff.pk).status == HandoffStatus.PENDING


def test_am_cannot_accept_on_someone_elses_behalf(am_alice, am_bob, north_handoff):
    with pytest.raises(NotAllowedError):
        services.handoff_accept(handoff=north_handoff, by=am_alice, owner=am_bob)
    assert Client.objects.get(pk=north_handoff.client_id).owner is None


def test_am_of_another_team_cannot_accept(am_oscar, north_handoff, recorded_hook):
    with pytest.raises(NotAllowedError):
        services.handoff_accept(handoff=north_handoff, by=am_oscar)
    assert Handoff.objects.get(pk=north_handoff.pk).status == HandoffStatus.PENDING
    assert Client.objects.get(pk=north_handoff.client_id).status == ClientStatus.HANDOFF_PENDING
    assert recorded_hook == []


def test_teammate_cannot_take_a_handoff_addressed_to_another_am(sales_sam, am_alice, am_bob, prospect):
    handoff, _ = send(sales_sam, prospect, to_am=am_bob)
    with pytest.raises(NotAllowedError):
        services.handoff_accept(handoff=handoff, by=am_alice)


def test_sales_cannot_accept_its_own_handoff(sales_sam, north_handoff):
    with pytest.raises(NotAllowedError):
        services.handoff_accept(handoff=north_handoff, by=sales_sam)


def test_blocked_handoff_cannot_be_accepted(sales_sam, am_alice, prospect, team_north, recorded_hook):
    handoff, _ = send(sales_sam, prospect, to_team=team_north, goals="", deal_amount=None)
    with pytest.raises(ApplicationError) as exc_info:
        services.handoff_accept(handoff=handoff, by=am_alice)
    assert "Deal amount is missing." in exc_info.value.message
    assert "Customer goals are missing." in exc_info.value.message
    assert Handoff.objects.get(pk=handoff.pk).status == HandoffStatus.PENDING
    assert Client.objects.get(pk=prospect.pk).owner is None
    assert recorded_hook == []


def test_handoff_needing_review_can_be_accepted(sales_sam, am_alice, prospect, team_north):
    handoff, _ = send(sales_sam, prospect, to_team=team_north, risks="", scope="")
    assert services.handoff_readiness(handoff).level == ReadinessLevel.NEEDS_REVIEW
    services.handoff_accept(handoff=handoff, by=am_alice)
    assert Client.objects.get(pk=prospect.pk).status == ClientStatus.ONBOARDING


def test_accepted_handoff_cannot_be_accepted_again(am_alice, am_bob, north_handoff):
    services.handoff_accept(handoff=north_handoff, by=am_alice)
    with pytest.raises(ApplicationError, match="already accepted"):
        services.handoff_accept(handoff=north_handoff, by=am_bob)
    assert Client.objects.get(pk=north_handoff.client_id).owner == am_alice


def test_acceptance_keeps_arr_and_contract_start_the_client_already_has(sales_sam, am_alice, team_north):
    client = services.prospect_create(
        by=sales_sam, name="Known", arr=Decimal("9000"), currency="EUR", contract_start=dt.date(2024, 1, 1)
    )
    handoff, _ = send(sales_sam, client, to_team=team_north)
    services.handoff_accept(handoff=handoff, by=am_alice)
    client.refresh_from_db()
    assert (client.arr, client.currency, client.contract_start) == (Decimal("9000.00"), "EUR", dt.date(2024, 1, 1))


def test_sales_keeps_read_only_access_after_acceptance(sales_sam, am_alice, north_handoff):
    services.handoff_accept(handoff=north_handoff, by=am_alice)
    client = Client.objects.get(pk=north_handoff.client_id)
    with pytest.raises(NotAllowedError):
        services.client_update(client=client, by=sales_sam, expected_version=None, name="Renamed by sales")
    with pytest.raises(NotAllowedError):
        services.handoff_update(handoff=north_handoff, by=sales_sam, expected_version=None, goals="changed")
    assert handoff_get_for_user(user=sales_sam, pk=north_handoff.pk).status == HandoffStatus.ACCEPTED


# --- handoff_return and handoff_resend ---------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_return_needs_a_reason(am_alice, north_handoff, reason):
    with pytest.raises(ApplicationError) as exc_info:
        services.handoff_return(handoff=north_handoff, by=am_alice, reason=reason)
    assert exc_info.value.field == "reason"
    assert Handoff.objects.get(pk=north_handoff.pk).status == HandoffStatus.PENDING


def test_return_sends_the_client_back_to_sales_with_the_reason(sales_sam, am_alice, north_handoff):
    services.handoff_return(handoff=north_handoff, by=am_alice, reason="  Goals are vague; who signed?  ")

    client = Client.objects.get(pk=north_handoff.client_id)
    assert client.status == ClientStatus.PROSPECT
    assert client.owner is None
    assert client.sales_owner == sales_sam
    as_sales = handoff_get_for_user(user=sales_sam, pk=north_handoff.pk)
    assert as_sales.status == HandoffStatus.RETURNED
    assert as_sales.return_reason == "Goals are vague; who signed?"
    assert as_sales.decided_by == am_alice


def test_am_of_another_team_cannot_return(am_oscar, north_handoff):
    with pytest.raises(NotAllowedError):
        services.handoff_return(handoff=north_handoff, by=am_oscar, reason="Not mine")
    assert Handoff.objects.get(pk=north_handoff.pk).status == HandoffStatus.PENDING


def test_accepted_handoff_cannot_be_returned(am_alice, north_handoff):
    services.handoff_accept(handoff=north_handoff, by=am_alice)
    with pytest.raises(ApplicationError, match="already accepted"):
        services.handoff_return(handoff=north_handoff, by=am_alice, reason="Changed my mind")
    assert Client.objects.get(pk=north_handoff.client_id).status == ClientStatus.ONBOARDING


def test_resend_puts_a_returned_handoff_back_in_the_inbox(sales_sam, am_alice, north_handoff):
    services.handoff_return(handoff=north_handoff, by=am_alice, reason="No success criteria")
    services.handoff_update(
        handoff=north_handoff, by=sales_sam, expected_version=None, success_criteria="Under 2 days by Q3."
    )

    resent = services.handoff_resend(handoff=north_handoff, by=sales_sam)

    assert resent.status == HandoffStatus.PENDING
    assert resent.decided_by is None
    assert resent.decided_at is None
    assert Client.objects.get(pk=north_handoff.client_id).status == ClientStatus.HANDOFF_PENDING
    services.handoff_accept(handoff=resent, by=am_alice)
    assert Client.objects.get(pk=north_handoff.client_id).owner == am_alice


def test_only_a_returned_handoff_can_be_resent(sales_sam, north_handoff):
    with pytest.raises(ApplicationError, match="Only a returned handoff"):
        services.handoff_resend(handoff=north_handoff, by=sales_sam)


def test_only_the_sender_resends(sales_sue, am_alice, north_handoff):
    services.handoff_return(handoff=north_handoff, by=am_alice, reason="Missing scope")
    with pytest.raises(NotAllowedError):
        services.handoff_resend(handoff=north_handoff, by=sales_sue)
    assert Handoff.objects.get(pk=north_handoff.pk).status == HandoffStatus.RETURNED


def test_handoff_update_refuses_a_stale_version(sales_sam, north_handoff):
    services.handoff_update(handoff=north_handoff, by=sales_sam, expected_version=1, goals="Faster deliveries")
    with pytest.raises(ConcurrentEditError):
        services.handoff_update(handoff=north_handoff, by=sales_sam, expected_version=1, goals="Overwritten")
    assert Handoff.objects.get(pk=north_handoff.pk).goals == "Faster deliveries"


# --- client_update: optimistic locking and reassignment ------------------------------------------------


def test_client_update_bumps_the_version(am_alice, alice_client):
    updated = services.client_update(
        client=alice_client, by=am_alice, expected_version=1, name="Nordwind AG", contact_cadence_days=14
    )
    assert updated.version == 2
    stored = Client.objects.get(pk=alice_client.pk)
    assert (stored.name, stored.contact_cadence_days, stored.version) == ("Nordwind AG", 14, 2)


def test_stale_version_is_refused_and_nothing_changes(am_alice, lead_lena, am_bob, alice_client):
    services.client_update(client=alice_client, by=am_alice, expected_version=1, name="Nordwind AG")
    history_before = alice_client.history.count()

    with pytest.raises(ConcurrentEditError, match="your version 1, now 2"):
        services.client_update(
            client=alice_client, by=lead_lena, expected_version=1, name="Stale name", owner=am_bob, is_key_account=True
        )

    stored = Client.objects.get(pk=alice_client.pk)
    assert (stored.name, stored.owner, stored.is_key_account, stored.version) == ("Nordwind AG", am_alice, False, 2)
    assert alice_client.history.count() == history_before


def test_teammate_cannot_edit_a_client_they_only_read(am_bob, alice_client):
    with pytest.raises(NotAllowedError):
        services.client_update(client=alice_client, by=am_bob, expected_version=None, name="Bob's now")
    assert Client.objects.get(pk=alice_client.pk).name == "Nordwind Logistics"


def test_unknown_fields_are_refused(am_alice, alice_client):
    with pytest.raises(ApplicationError, match="Unknown client fields: version"):
        services.client_update(client=alice_client, by=am_alice, expected_version=None, version=99)


def test_edit_rights_are_checked_on_the_current_row_not_a_stale_copy(am_alice, am_bob, lead_lena, alice_client):
    alices_copy = Client.objects.get(pk=alice_client.pk)
    services.client_update(client=alice_client, by=lead_lena, expected_version=None, owner=am_bob)

    with pytest.raises(NotAllowedError):
        services.client_update(client=alices_copy, by=am_alice, expected_version=None, name="Still mine?")
    assert Client.objects.get(pk=alice_client.pk).name == "Nordwind Logistics"


def test_lead_reassigns_within_the_team(lead_lena, am_bob, alice_client):
    services.client_update(client=alice_client, by=lead_lena, expected_version=1, owner=am_bob)
    stored = Client.objects.get(pk=alice_client.pk)
    assert (stored.owner, stored.team, stored.version) == (am_bob, am_bob.team, 2)


def test_lead_cannot_reassign_to_another_team(lead_lena, am_oscar, team_south, alice_client, am_alice):
    with pytest.raises(NotAllowedError):
        services.client_update(client=alice_client, by=lead_lena, expected_version=None, owner=am_oscar)
    with pytest.raises(NotAllowedError):
        services.client_update(
            client=alice_client, by=lead_lena, expected_version=None, owner=am_oscar, team=team_south
        )
    stored = Client.objects.get(pk=alice_client.pk)
    assert (stored.owner, stored.team) == (am_alice, am_alice.team)


def test_lead_cannot_touch_another_teams_client(lead_lena, am_oscar, am_bob):
    oscars = ClientFactory(owner=am_oscar, team=am_oscar.team)
    with pytest.raises(NotAllowedError):
        services.client_update(client=oscars, by=lead_lena, expected_version=None, owner=am_bob)
    assert Client.objects.get(pk=oscars.pk).owner == am_oscar


def test_am_cannot_reassign_even_their_own_client(am_alice, am_bob, alice_client):
    with pytest.raises(NotAllowedError, match="Only the team lead"):
        services.client_update(client=alice_client, by=am_alice, expected_version=None, owner=am_bob)
    assert Client.objects.get(pk=alice_client.pk).owner == am_alice


def test_unchanged_owner_is_not_a_reassignment(am_alice, alice_client):
    services.client_update(client=alice_client, by=am_alice, expected_version=None, owner=am_alice, industry="Freight")
    assert Client.objects.get(pk=alice_client.pk).industry == "Freight"


def test_admin_moves_a_client_to_another_team_with_its_new_owner(admin_ada, am_oscar, alice_client):
    services.client_update(client=alice_client, by=admin_ada, expected_version=None, owner=am_oscar)
    stored = Client.objects.get(pk=alice_client.pk)
    assert (stored.owner, stored.team) == (am_oscar, am_oscar.team)


def test_team_change_that_leaves_the_owner_outside_the_team_is_refused(admin_ada, team_south, am_alice, alice_client):
    with pytest.raises(ApplicationError) as exc_info:
        services.client_update(client=alice_client, by=admin_ada, expected_version=None, team=team_south)
    assert exc_info.value.field == "owner"
    stored = Client.objects.get(pk=alice_client.pk)
    assert (stored.owner, stored.team) == (am_alice, am_alice.team)


@pytest.mark.parametrize("kind", ["sales", "inactive"])
def test_owner_must_be_an_active_account_manager(lead_lena, sales_sam, team_north, alice_client, kind):
    if kind == "sales":
        owner = sales_sam
    else:
        owner = UserFactory(username="gone", role=Role.ACCOUNT_MANAGER, team=team_north, is_active=False)
    with pytest.raises(ApplicationError) as exc_info:
        services.client_update(client=alice_client, by=lead_lena, expected_version=None, owner=owner)
    assert exc_info.value.field == "owner"


def test_sales_cannot_move_a_prospect_past_the_handoff(sales_sam, prospect):
    with pytest.raises(NotAllowedError):
        services.client_update(client=prospect, by=sales_sam, expected_version=None, status=ClientStatus.ACTIVE)
    assert Client.objects.get(pk=prospect.pk).status == ClientStatus.PROSPECT
    services.client_update(client=prospect, by=sales_sam, expected_version=None, website="acme.example")
    assert Client.objects.get(pk=prospect.pk).website == "acme.example"


def test_duplicate_external_id_is_refused_on_that_field(am_alice, alice_client):
    services.client_create(by=am_alice, name="Other", external_id="DUP-1")
    with pytest.raises(ValidationError) as exc_info:
        services.client_update(client=alice_client, by=am_alice, expected_version=None, external_id=" DUP-1 ")
    assert list(exc_info.value.message_dict) == ["external_id"]
    assert Client.objects.get(pk=alice_client.pk).external_id == alice_client.external_id


def test_archive_and_restore(am_alice, am_bob, alice_client):
    archived = services.client_archive(client=alice_client, by=am_alice, expected_version=1)
    assert archived.archived_at is not None
    assert archived.version == 2
    with pytest.raises(NotAllowedError):
        services.client_restore(client=archived, by=am_bob)
    restored = services.client_restore(client=archived, by=am_alice)
    assert (restored.archived_at, restored.version) == (None, 3)


# --- contacts ---------------------------------------------------------------------------------------


def test_reports_to_must_be_a_contact_of_the_same_client(am_alice, alice_client):
    elsewhere = ContactFactory(client=ClientFactory(owner=am_alice, team=am_alice.team))
    with pytest.raises(ApplicationError) as exc_info:
        services.contact_create(client=alice_client, by=am_alice, first_name="Eve", reports_to=elsewhere)
    assert exc_info.value.field == "reports_to"
    assert alice_client.contacts.count() == 1

    dora = alice_client.contacts.get()
    with pytest.raises(ApplicationError):
        services.contact_update(contact=dora, by=am_alice, expected_version=None, reports_to=elsewhere)
    assert Contact.objects.get(pk=dora.pk).reports_to is None


def test_reporting_lines_cannot_loop(am_alice, alice_client):
    ceo = alice_client.contacts.get()
    cto = services.contact_create(client=alice_client, by=am_alice, first_name="Carl", reports_to=ceo)
    dev = services.contact_create(client=alice_client, by=am_alice, first_name="Dana", reports_to=cto)
    assert (dev.reports_to, cto.reports_to) == (cto, ceo)

    for boss in (dev, cto):
        with pytest.raises(ApplicationError, match="reporting loop"):
            services.contact_update(contact=ceo, by=am_alice, expected_version=None, reports_to=boss)
    with pytest.raises(ApplicationError, match="reporting loop"):
        services.contact_update(contact=ceo, by=am_alice, expected_version=None, reports_to=ceo)
    assert Contact.objects.get(pk=ceo.pk).reports_to is None

    services.contact_update(contact=dev, by=am_alice, expected_version=None, reports_to=ceo)
    assert Contact.objects.get(pk=dev.pk).reports_to == ceo


def test_contact_marked_left_gets_left_on(am_alice, alice_client):
    dora = alice_client.contacts.get()
    services.contact_update(contact=dora, by=am_alice, expected_version=1, is_active=False)
    stored = Contact.objects.get(pk=dora.pk)
    assert (stored.is_active, stored.left_on, stored.version) == (False, timezone.localdate(), 2)

    services.contact_update(contact=stored, by=am_alice, expected_version=2, is_active=True)
    assert Contact.objects.get(pk=dora.pk).left_on is None


def test_explicit_left_on_is_kept(am_alice, alice_client):
    dora = alice_client.contacts.get()
    services.contact_update(
        contact=dora, by=am_alice, expected_version=None, is_active=False, left_on=dt.date(2025, 11, 30)
    )
    assert Contact.objects.get(pk=dora.pk).left_on == dt.date(2025, 11, 30)
    gone = services.contact_create(client=alice_client, by=am_alice, first_name="Gus", is_active=False)
    assert gone.left_on == timezone.localdate()


def test_contact_stale_version_is_refused(am_alice, alice_client):
    dora = alice_client.contacts.get()
    services.contact_update(contact=dora, by=am_alice, expected_version=1, job_title="CEO")
    with pytest.raises(ConcurrentEditError):
        services.contact_update(contact=dora, by=am_alice, expected_version=1, job_title="CFO")
    assert Contact.objects.get(pk=dora.pk).job_title == "CEO"


def test_teammate_cannot_edit_contacts(am_bob, alice_client):
    with pytest.raises(NotAllowedError):
        services.contact_create(client=alice_client, by=am_bob, first_name="Intruder")
    with pytest.raises(NotAllowedError):
        services.contact_update(contact=alice_client.contacts.get(), by=am_bob, expected_version=None, notes="x")


# --- audit trail ------------------------------------------------------------------------------------------


def test_history_records_who_changed_clients_and_contacts(am_alice, lead_lena, am_bob, alice_client):
    services.client_update(client=alice_client, by=am_alice, expected_version=None, industry="Freight")
    services.client_update(client=alice_client, by=lead_lena, expected_version=None, owner=am_bob)
    contact = services.contact_create(client=Client.objects.get(pk=alice_client.pk), by=am_bob, first_name="Carl")
    services.contact_update(contact=contact, by=lead_lena, expected_version=None, is_active=False)

    rows = list(alice_client.history.order_by("history_id").values_list("history_user", "industry", "owner"))
    assert rows[-2:] == [(am_alice.pk, "Freight", am_alice.pk), (lead_lena.pk, "Freight", am_bob.pk)]
    contact_rows = list(contact.history.order_by("history_id").values_list("history_type", "history_user", "is_active"))
    assert contact_rows == [("+", am_bob.pk, True), ("~", lead_lena.pk, False)]


def test_history_records_who_sent_and_who_accepted_the_handoff(sales_sam, am_alice, north_handoff):
    services.handoff_accept(handoff=north_handoff, by=am_alice)

    handoff_rows = list(
        Handoff.history.filter(id=north_handoff.pk).order_by("history_id").values_list("history_user", "status")
    )
    assert handoff_rows[0] == (sales_sam.pk, HandoffStatus.PENDING)
    assert handoff_rows[-1] == (am_alice.pk, HandoffStatus.ACCEPTED)
    assert {user for user, _ in handoff_rows} == {sales_sam.pk, am_alice.pk}

    client_rows = list(
        Client.history.filter(id=north_handoff.client_id).order_by("history_id").values_list("history_user", "status")
    )
    assert client_rows == [
        (sales_sam.pk, ClientStatus.PROSPECT),
        (sales_sam.pk, ClientStatus.HANDOFF_PENDING),
        (am_alice.pk, ClientStatus.ONBOARDING),
    ]


def test_no_history_row_is_anonymous(sales_sam, am_alice, lead_lena, north_handoff):
    services.handoff_return(handoff=north_handoff, by=am_alice, reason="Vague goals")
    services.handoff_resend(handoff=north_handoff, by=sales_sam)
    services.handoff_accept(handoff=north_handoff, by=lead_lena, owner=am_alice)
    for model in (Client, Contact, Handoff):
        assert model.history.exists()
        assert not model.history.filter(history_user__isnull=True).exists(), model


def test_handoff_create_checks_the_current_client_not_a_stale_copy(admin_ada, am_alice, prospect, north_handoff):
    stale = Client.objects.get(pk=prospect.pk)
    services.handoff_accept(handoff=north_handoff, by=am_alice)

    with pytest.raises(ApplicationError, match="already has an account manager"):
        send(admin_ada, stale, to_team=am_alice.team, deal_external_id="OPP-LATE")

    assert Client.objects.get(pk=prospect.pk).status == ClientStatus.ONBOARDING
    assert Handoff.objects.count() == 1


def test_contact_rights_are_checked_on_the_current_row(am_alice, am_bob, lead_lena, alice_client):
    dora = Contact.objects.select_related("client").get(client=alice_client)
    services.client_update(client=alice_client, by=lead_lena, expected_version=None, owner=am_bob)
    with pytest.raises(NotAllowedError):
        services.contact_update(contact=dora, by=am_alice, expected_version=None, notes="still mine?")
    assert Contact.objects.get(pk=dora.pk).notes == ""


@pytest.mark.parametrize("field", ["owner", "team"])
def test_clearing_owner_or_team_is_refused_not_silently_ignored(lead_lena, am_alice, alice_client, field):
    with pytest.raises(ApplicationError) as exc_info:
        services.client_update(client=alice_client, by=lead_lena, expected_version=1, name="New name", **{field: None})
    assert exc_info.value.field == field
    stored = Client.objects.get(pk=alice_client.pk)
    assert (stored.owner, stored.team, stored.name, stored.version) == (am_alice, am_alice.team, alice_client.name, 1)


def test_unchanged_empty_team_is_not_a_reassignment(admin_ada):
    client = services.client_create(by=admin_ada, name="Unassigned")
    services.client_update(client=client, by=admin_ada, expected_version=None, team=None, owner=None, city="Oslo")
    assert Client.objects.get(pk=client.pk).city == "Oslo"


def test_client_never_goes_to_an_am_who_has_left(sales_sam, lead_lena, am_bob, prospect):
    handoff, _ = send(sales_sam, prospect, to_am=am_bob)
    am_bob.is_active = False
    am_bob.save()

    with pytest.raises(ApplicationError) as exc_info:
        services.handoff_accept(handoff=handoff, by=lead_lena)
    assert exc_info.value.field == "owner"
    assert Client.objects.get(pk=prospect.pk).owner is None

    services.handoff_accept(handoff=handoff, by=lead_lena, owner=lead_lena)
    assert Client.objects.get(pk=prospect.pk).owner == lead_lena


def test_returned_handoff_shows_sales_the_reason_on_its_page(client, sales_sam, am_alice, north_handoff):
    services.handoff_return(handoff=north_handoff, by=am_alice, reason="Who is the <b>decision maker</b>?")
    client.force_login(sales_sam)
    page = client.get(reverse("clients:handoff_detail", args=[north_handoff.pk])).content.decode()
    assert "Returned to sales" in page
    assert "Who is the &lt;b&gt;decision maker&lt;/b&gt;?" in page


def test_an_expansion_waits_for_the_first_handoff_then_goes_to_the_am_with_its_commitments(
    sales_sam, lead_lena, am_alice, team_north
):
    from interactions.models import FollowUp

    deal = {"deal_amount": Decimal("1000"), "close_date": dt.date(2026, 11, 1), "goals": "Faster deliveries"}
    first = services.deal_receive(
        by=sales_sam, deal_name="Platform", deal_external_id="D1", client_external_id="ACC1",
        client_name="Acme", to_team=team_north, **deal,
    )  # fmt: skip
    second = services.deal_receive(
        by=sales_sam, deal_name="Add-on", deal_external_id="D2", client_external_id="ACC1",
        commitments=[{"text": "Train the new team", "due_date": "2030-01-10"}], **deal,
    )  # fmt: skip
    assert (first.handoff_action, second.handoff_action) == ("created", "expansion")

    with pytest.raises(ApplicationError, match="first handoff"):
        services.handoff_accept(handoff=second.handoff, by=lead_lena)

    services.handoff_accept(handoff=first.handoff, by=lead_lena, owner=am_alice)
    services.handoff_accept(handoff=second.handoff, by=am_alice)

    client = Client.objects.get(pk=first.client.pk)
    assert (client.owner, client.status) == (am_alice, ClientStatus.ONBOARDING)  # unchanged by the expansion
    assert FollowUp.objects.filter(client=client, title="Train the new team", owner=am_alice).exists()
    assert Handoff.objects.get(pk=second.handoff.pk).status == HandoffStatus.ACCEPTED
