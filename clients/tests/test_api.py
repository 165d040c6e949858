"""The handoff endpoint as a sales CRM calls it, token authentication, and the API docs."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from clients.models import Client, ClientStatus, Handoff, HandoffStatus
from tests.factories import ClientFactory, HandoffFactory, UserFactory
from users import services as user_services
from users.models import Role

HANDOFFS = "/api/v1/handoffs/"
# DRF answers a bad token with 403 while session authentication comes first in DEFAULT_AUTHENTICATION_CLASSES
# (401 needs a WWW-Authenticate header, which only the first class provides); either way it is refused.
REFUSED = {401, 403}


def _refused(response, reason: str) -> bool:
    return response.status_code in REFUSED and reason in str(response.data.get("detail", ""))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def sam_api(api, sales_sam) -> APIClient:
    api.force_authenticate(sales_sam)
    return api


def _deal(team, **overrides) -> dict:
    """What a sales CRM sends when an opportunity is closed won."""
    payload = {
        "client_external_id": "001FJORD",
        "client_name": "Fjord Fisheries",
        "deal_external_id": "006OPP1",
        "deal_name": "Fjord Fisheries - fleet tracking",
        "deal_amount": "84000.00",
        "currency": "NOK",
        "close_date": (dt.date.today() - dt.timedelta(days=2)).isoformat(),
        "goals": "Know where every boat is.",
        "commitments": [{"text": "Kick-off on site", "due_date": "2030-01-15"}, {"text": "Weekly status call"}],
        "to_team": team.pk,
    }
    payload.update(overrides)
    return payload


def _counts() -> tuple[int, int]:
    return Client.objects.count(), Handoff.objects.count()


# --- creation and idempotency --------------------------------------------------------------------


def test_post_with_a_new_account_creates_a_prospect_and_a_pending_handoff(sam_api, sales_sam, team_north):
    response = sam_api.post(HANDOFFS, _deal(team_north), format="json")

    assert response.status_code == 201, response.data
    handoff = Handoff.objects.get(pk=response.data["id"])
    account = handoff.client
    assert (account.name, account.external_id) == ("Fjord Fisheries", "001FJORD")
    assert account.sales_owner == sales_sam
    assert (account.owner, account.team) == (None, None)  # nobody has accepted it yet
    assert account.status == ClientStatus.HANDOFF_PENDING
    assert (handoff.status, handoff.created_by, handoff.to_team) == (HandoffStatus.PENDING, sales_sam, team_north)
    assert handoff.commitments == [
        {"text": "Kick-off on site", "due_date": "2030-01-15"},
        {"text": "Weekly status call", "due_date": None},
    ]
    assert response.data["client"] == account.pk
    assert response.data["readiness"]["level"] in {"ready", "needs_review"}


def test_post_is_idempotent_on_the_deal_external_id(sam_api, team_north):
    first = sam_api.post(HANDOFFS, _deal(team_north), format="json")
    counts = _counts()

    retry = sam_api.post(HANDOFFS, _deal(team_north), format="json")
    # The same key with other values is not a retry (Stripe's rule): refused, naming what differs.
    changed = sam_api.post(HANDOFFS, _deal(team_north, deal_name="Renamed", client_name="Other"), format="json")

    assert first.status_code == 201
    assert (retry.status_code, changed.status_code) == (200, 409)
    assert retry.data["id"] == first.data["id"]
    assert "(client_name, deal_name)" in changed.data["error"]["message"]
    assert _counts() == counts == (1, 1)
    assert Handoff.objects.get().deal_name == "Fjord Fisheries - fleet tracking"
    assert Client.objects.get().name == "Fjord Fisheries"


def test_retry_by_someone_else_is_refused_without_revealing_the_handoff(api, sam_api, team_north):
    sam_api.post(HANDOFFS, _deal(team_north), format="json")
    other_rep = UserFactory(username="sales_sue", role=Role.SALES)
    api.force_authenticate(other_rep)

    response = api.post(HANDOFFS, _deal(team_north), format="json")

    assert response.status_code == 400
    assert "deal_external_id" in response.data["error"]["fields"]
    assert "id" not in response.data
    assert _counts() == (1, 1)


def test_post_for_an_existing_prospect_by_id(sam_api, sales_sam, team_north):
    prospect = ClientFactory(status=ClientStatus.PROSPECT, sales_owner=sales_sam, owner=None, team=None)
    payload = _deal(team_north, client=prospect.pk)
    del payload["client_external_id"], payload["client_name"]

    response = sam_api.post(HANDOFFS, payload, format="json")

    assert response.status_code == 201
    assert response.data["client"] == prospect.pk
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.HANDOFF_PENDING
    assert Client.objects.count() == 1


def test_post_reuses_a_prospect_found_by_its_external_id(sam_api, sales_sam, team_north):
    prospect = ClientFactory(
        external_id="001FJORD", status=ClientStatus.PROSPECT, sales_owner=sales_sam, owner=None, team=None
    )

    response = sam_api.post(HANDOFFS, _deal(team_north), format="json")

    assert response.status_code == 201
    assert response.data["client"] == prospect.pk
    assert Client.objects.count() == 1


def test_post_for_an_account_that_is_not_yours_is_refused(sam_api, am_oscar, team_north):
    ClientFactory(external_id="001FJORD", owner=am_oscar, team=am_oscar.team)  # another team's client
    counts = _counts()

    response = sam_api.post(HANDOFFS, _deal(team_north), format="json")

    assert response.status_code == 403
    assert _counts() == counts


def test_account_managers_cannot_send_handoffs(api, am_alice, team_north):
    api.force_authenticate(am_alice)

    response = api.post(HANDOFFS, _deal(team_north), format="json")

    assert response.status_code == 403
    assert _counts() == (0, 0)  # the prospect is not left behind either


def test_a_second_won_deal_of_a_client_waiting_for_its_handoff_is_kept_as_an_expansion(sam_api, team_north):
    """Every won deal is kept (issue 20): the client is handed over once, the second deal rides along."""
    assert sam_api.post(HANDOFFS, _deal(team_north), format="json").status_code == 201

    response = sam_api.post(HANDOFFS, _deal(team_north, deal_external_id="006OPP2"), format="json")

    assert response.status_code == 201
    assert _counts() == (1, 2)
    assert Handoff.objects.get(deal_external_id="006OPP2").kind == "expansion"
    assert Handoff.objects.get(deal_external_id="006OPP1").kind == "new"


# --- bad input is a 400 that says what is wrong, never a 500 -------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"client": 999_999, "client_external_id": None, "client_name": None}, "client", id="unknown-id"),
        pytest.param({"client_external_id": None, "client_name": None}, "client", id="no-client-at-all"),
        pytest.param({"client_name": None}, "client", id="external-id-without-name"),
        pytest.param({"deal_name": None}, "deal_name", id="no-deal-name"),
        pytest.param({"deal_amount": "-5"}, None, id="negative-amount"),
        pytest.param({"deal_amount": "lots"}, "deal_amount", id="amount-not-a-number"),
        pytest.param({"close_date": "2024-13-01"}, "close_date", id="bad-close-date"),
        pytest.param({"currency": "EURO"}, "currency", id="bad-currency"),
        pytest.param({"to_team": 999_999}, "to_team", id="unknown-team"),
        pytest.param({"commitments": "call them weekly"}, "commitments", id="commitments-not-a-list"),
        pytest.param({"commitments": [{"due_date": "2030-01-01"}]}, "commitments", id="commitment-without-text"),
        pytest.param({"commitments": [{"text": "  "}]}, "commitments", id="commitment-blank-text"),
        pytest.param({"commitments": [{"text": "x", "due_date": "soon"}]}, "commitments", id="commitment-bad-date"),
        pytest.param({"commitments": [{"text": "x" * 501}]}, "commitments", id="commitment-too-long"),
        pytest.param({"commitments": [{"text": f"c{i}"} for i in range(51)]}, "commitments", id="too-many"),
    ],
)
def test_bad_input_is_a_400(sam_api, team_north, overrides, field):
    payload = {k: v for k, v in _deal(team_north, **overrides).items() if v is not None}

    response = sam_api.post(HANDOFFS, payload, format="json")

    assert response.status_code == 400, response.content
    if field:
        assert field in response.data["error"]["fields"]
    assert _counts() == (0, 0)


def test_to_am_must_be_in_to_team(sam_api, am_oscar, team_north):
    response = sam_api.post(HANDOFFS, _deal(team_north, to_am=am_oscar.pk), format="json")

    assert response.status_code == 400
    assert "to_am" in response.data["error"]["fields"]
    assert _counts() == (0, 0)


@pytest.mark.parametrize("who", ["sales_sam", "admin_ada", "inactive_am"])
def test_to_am_must_be_an_active_account_manager(sam_api, personas, team_north, who):
    target = (
        UserFactory(username="gone_gina", role=Role.ACCOUNT_MANAGER, team=team_north, is_active=False)
        if who == "inactive_am"
        else personas[who]
    )

    response = sam_api.post(HANDOFFS, _deal(team_north, to_am=target.pk, to_team=None), format="json")

    assert response.status_code == 400
    assert "to_am" in response.data["error"]["fields"]
    assert _counts() == (0, 0)


def test_a_client_of_another_team_is_an_unknown_id(sam_api, am_oscar, team_north):
    """Not found and forbidden look the same: the error does not confirm that the client exists."""
    foreign = ClientFactory(owner=am_oscar, team=am_oscar.team)
    unknown = sam_api.post(HANDOFFS, _deal(team_north, client=999_999), format="json")

    response = sam_api.post(HANDOFFS, _deal(team_north, client=foreign.pk), format="json")

    assert response.status_code == 400
    unknown_message = str(unknown.data["error"]["fields"]["client"])
    assert str(response.data["error"]["fields"]["client"]) == unknown_message.replace("999999", str(foreign.pk))
    assert Handoff.objects.count() == 0


def test_stakeholders_must_belong_to_the_handed_off_client(sam_api, sales_sam, alice_client, team_north):
    prospect = ClientFactory(status=ClientStatus.PROSPECT, sales_owner=sales_sam, owner=None, team=None)
    alien = alice_client.contacts.get()  # Sam sees it (he sold Alice's client) but it is another client's

    response = sam_api.post(HANDOFFS, _deal(team_north, client=prospect.pk, stakeholders=[alien.pk]), format="json")

    assert response.status_code == 400
    assert "stakeholders" in response.data["error"]["fields"]
    assert Handoff.objects.count() == 0


def test_commitment_text_is_kept_on_one_line(sam_api, team_north):
    response = sam_api.post(
        HANDOFFS, _deal(team_north, commitments=[{"text": "Train\nthe team", "due_date": None}]), format="json"
    )

    assert response.status_code == 201
    assert Handoff.objects.get().commitments == [{"text": "Train the team", "due_date": None}]


# --- accept / return over the API ----------------------------------------------------------------


def test_accept_and_return_validate_their_input(api, am_alice, lead_lena, sales_sam, team_north):
    handoff = HandoffFactory(
        client=ClientFactory(status=ClientStatus.HANDOFF_PENDING, sales_owner=sales_sam),
        created_by=sales_sam,
        to_team=team_north,
    )
    api.force_authenticate(lead_lena)

    no_reason = api.post(f"{HANDOFFS}{handoff.pk}/return/", {"reason": ""}, format="json")
    bad_owner = api.post(f"{HANDOFFS}{handoff.pk}/accept/", {"owner": sales_sam.pk}, format="json")

    assert (no_reason.status_code, bad_owner.status_code) == (400, 400)
    assert "reason" in no_reason.data["error"]["fields"] and "owner" in bad_owner.data["error"]["fields"]
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.PENDING

    accepted = api.post(f"{HANDOFFS}{handoff.pk}/accept/", {"owner": am_alice.pk}, format="json")
    again = api.post(f"{HANDOFFS}{handoff.pk}/accept/", {}, format="json")

    assert accepted.status_code == 200
    assert again.status_code == 400  # already accepted: a clear refusal, not a second acceptance
    handoff.client.refresh_from_db()
    assert (handoff.client.owner, handoff.client.status) == (am_alice, ClientStatus.ONBOARDING)


def test_a_blocked_handoff_cannot_be_accepted(api, lead_lena, sales_sam, team_north):
    handoff = HandoffFactory(
        client=ClientFactory(status=ClientStatus.HANDOFF_PENDING, sales_owner=sales_sam),
        created_by=sales_sam,
        to_team=team_north,
        goals="",  # missing goals block the handoff
    )
    api.force_authenticate(lead_lena)

    response = api.post(f"{HANDOFFS}{handoff.pk}/accept/", {}, format="json")

    assert response.status_code == 400
    assert "goals" in response.data["detail"].lower()
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.PENDING


def test_handoff_accepted_into_another_team_leaves_the_addressed_team(api, admin_ada, am_alice, am_oscar, sales_sam):
    """Sent to team North, accepted by an admin for Oscar (South): North no longer sees the handoff."""
    handoff = HandoffFactory(
        client=ClientFactory(status=ClientStatus.HANDOFF_PENDING, sales_owner=sales_sam),
        created_by=sales_sam,
        to_team=am_alice.team,
    )
    api.force_authenticate(am_alice)
    assert api.get(f"{HANDOFFS}{handoff.pk}/").status_code == 200

    api.force_authenticate(admin_ada)
    assert api.post(f"{HANDOFFS}{handoff.pk}/accept/", {"owner": am_oscar.pk}, format="json").status_code == 200

    api.force_authenticate(am_alice)
    assert api.get(f"{HANDOFFS}{handoff.pk}/").status_code == 404
    assert api.get(HANDOFFS).data["count"] == 0
    api.force_authenticate(am_oscar)
    assert api.get(f"{HANDOFFS}{handoff.pk}/").status_code == 200


# --- token authentication ------------------------------------------------------------------------


def test_token_authentication_and_revocation(sales_sam, team_north):
    token = user_services.api_token_rotate(user=sales_sam)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api.get(HANDOFFS).status_code == 200
    created = api.post(HANDOFFS, _deal(team_north), format="json")
    assert created.status_code == 201
    assert Handoff.objects.get().created_by == sales_sam  # the token acts as its user

    user_services.api_token_revoke(user=sales_sam)

    assert _refused(api.get(HANDOFFS), "Invalid token")
    assert _refused(api.post(HANDOFFS, _deal(team_north, deal_external_id="006OPP2"), format="json"), "Invalid token")
    assert Handoff.objects.count() == 1


def test_rotating_the_token_refuses_the_old_key(sales_sam):
    old = user_services.api_token_rotate(user=sales_sam).key
    new = user_services.api_token_rotate(user=sales_sam).key
    api = APIClient()

    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert _refused(api.get(HANDOFFS), "Invalid token")
    api.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api.get(HANDOFFS).status_code == 200


@pytest.mark.parametrize("header", ["", "Token ", "Token not-a-real-key", "Bearer abc"])
def test_requests_without_a_valid_token_are_refused(db, header):
    api = APIClient()
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)

    assert api.get("/api/v1/clients/").status_code in REFUSED
    assert api.post(HANDOFFS, {}, format="json").status_code in REFUSED


def test_a_deactivated_users_token_is_refused(sales_sam):
    token = user_services.api_token_rotate(user=sales_sam)
    sales_sam.is_active = False
    sales_sam.save()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert _refused(api.get(HANDOFFS), "inactive")


def test_token_page_creates_and_revokes(client, sales_sam):
    client.force_login(sales_sam)

    created = client.post(reverse("api_token"), {"action": "rotate"})
    key = created.context["new_key"]
    assert Token.objects.get(user=sales_sam).key == key

    response = client.post(reverse("api_token"), {"action": "revoke"})
    assert response.status_code == 302
    assert not Token.objects.filter(user=sales_sam).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert _refused(api.get(HANDOFFS), "Invalid token")


# --- schema and docs -----------------------------------------------------------------------------


def test_schema_and_docs_respond(client, am_alice):
    client.force_login(am_alice)

    schema = client.get("/api/schema/", {"format": "json"})
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    for path in ("/api/v1/clients/", "/api/v1/clients/{id}/", "/api/v1/contacts/", "/api/v1/handoffs/"):
        assert path in paths
    assert docs.status_code == 200
    assert "swagger" in docs.content.decode().lower()


def test_schema_generated_offline_types_every_id(tmp_path, db):
    """``manage.py spectacular`` (no request, no user) still knows the ids are integers."""
    out = tmp_path / "schema.json"

    call_command("spectacular", "--format", "openapi-json", "--file", str(out))

    paths = json.loads(out.read_text())["paths"]
    for path in ("/api/v1/clients/{id}/", "/api/v1/contacts/{id}/", "/api/v1/handoffs/{id}/"):
        (parameter,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == "id"]
        assert parameter["schema"]["type"] == "integer", path


def test_a_retry_that_sends_the_same_values_differently_written_is_the_same_request(sam_api, team_north):
    first = sam_api.post(HANDOFFS, _deal(team_north), format="json")
    same = sam_api.post(
        HANDOFFS, _deal(team_north, deal_amount="84000", deal_name=" Fjord Fisheries - fleet tracking "), format="json"
    )
    other_amount = sam_api.post(HANDOFFS, _deal(team_north, deal_amount="85000.00"), format="json")

    assert (first.status_code, same.status_code, other_amount.status_code) == (201, 200, 409)
    assert other_amount.data["error"]["code"] == "idempotency_conflict"
    assert "deal_amount" in other_amount.data["error"]["message"]
    assert Handoff.objects.get().deal_amount == Decimal("84000.00")


def test_the_deal_description_is_kept_byte_exact(sam_api, team_north):
    text = 'Fleet of 40, "priority" boats first,\nthen the rest; ёлка 渔船'
    response = sam_api.post(HANDOFFS, _deal(team_north, description=text), format="json")

    assert response.status_code == 201
    assert Handoff.objects.get().description == text
    assert response.data["description"] == text


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_retries_of_one_deal_never_fail(sales_sam, team_north):
    """Eight clients retrying the same deal at once: one 201, seven 200, one handoff, one client."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    payload = _deal(team_north)

    def post(_):
        api = APIClient()
        api.force_authenticate(sales_sam)
        try:
            return api.post(HANDOFFS, payload, format="json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(post, range(8)))

    assert statuses == [200] * 7 + [201]
    assert _counts() == (1, 1)
