"""The renewals board: columns by stage, moves through the stage-change service under the optimistic lock,
filters (team, owner, quarter), ARR totals converted to the base currency, constant queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import Renewal, RenewalStage
from tests.factories import ClientFactory


def _contract(user, client, number, *, value, currency="EUR", days_left=40):
    today = timezone.localdate()
    end = today + dt.timedelta(days=days_left)
    start = contract_services.add_months(end + dt.timedelta(days=1), -12)
    return contract_services.contract_create(
        by=user, client=client, today=today, number=number, start_date=start, term_months=12,
        value=Decimal(value), currency=currency, status="active",
    )  # fmt: skip


@pytest.fixture
def board(am_alice, am_bob, am_oscar, alice_client, admin_ada):
    today = timezone.localdate()
    contract_services.exchange_rate_set(
        by=admin_ada, currency="USD", date=today - dt.timedelta(days=3), rate=Decimal("0.9")
    )
    bob_client = ClientFactory(owner=am_bob, team=am_bob.team, name="Bobco")
    oscar_client = ClientFactory(owner=am_oscar, team=am_oscar.team, name="Oscarco")
    _contract(am_alice, alice_client, "A-EUR", value="10000")
    _contract(am_bob, bob_client, "B-USD", value="20000", currency="USD", days_left=200)
    _contract(am_oscar, oscar_client, "O-EUR", value="5000")
    contract_services.renewals_open_due(today=today, horizon_days=400)
    return {r.contract.number: r for r in Renewal.objects.select_related("contract")}


def test_columns_totals_and_scope(client, am_alice, board):
    client.force_login(am_alice)
    page = client.get(reverse("dashboards:renewals_board"))
    assert page.status_code == 200
    columns = {c.stage: c for c in page.context["columns"]}
    assert list(columns) == list(RenewalStage.values)
    assert [r.contract.number for r in columns["not_started"].renewals] == ["A-EUR", "B-USD"]  # not Oscar's
    total = columns["not_started"].converted
    assert total.complete and total.converted == Decimal("10000") + Decimal("20000") * Decimal("0.9")
    assert "28,000 EUR" in page.content.decode()
    # Alice may move her card, not Bob's (read-only for teammates).
    assert page.context["can_edit"] == {board["A-EUR"].pk}


def test_filters(client, lead_lena, am_bob, board):
    client.force_login(lead_lena)
    by_owner = client.get(reverse("dashboards:renewals_board"), {"owner": am_bob.pk})
    assert [r.contract.number for c in by_owner.context["columns"] for r in c.renewals] == ["B-USD"]
    today = timezone.localdate()
    from core.dates import Quarter

    quarter = Quarter.containing(today + dt.timedelta(days=200))
    by_quarter = client.get(reverse("dashboards:renewals_board"), {"quarter": quarter.key})
    assert [r.contract.number for c in by_quarter.context["columns"] for r in c.renewals] == ["B-USD"]
    assert client.get(reverse("dashboards:renewals_board"), {"quarter": "1999-Q9", "owner": "x"}).status_code == 200


def test_move_with_the_version_read(client, am_alice, am_oscar, board):
    renewal = board["A-EUR"]
    url = reverse("dashboards:renewals_board_move", args=[renewal.pk])
    client.force_login(am_alice)
    moved = client.post(url, {"stage": "in_progress", "version": renewal.version}, HTTP_HX_REQUEST="true")
    assert moved.status_code == 200 and "moved to In progress" in moved.content.decode()
    renewal.refresh_from_db()
    assert renewal.stage == "in_progress"
    stale = client.post(url, {"stage": "committed", "version": renewal.version - 1})
    assert stale.status_code == 302
    renewal.refresh_from_db()
    assert renewal.stage == "in_progress"  # the stale card was refused, nothing overwritten
    # Churned needs a reason: the move opens the renewal's form with the stage chosen.
    churn = client.post(url, {"stage": "churned", "version": renewal.version}, HTTP_HX_REQUEST="true")
    assert churn.status_code == 204 and churn["HX-Redirect"].endswith(f"/renewals/{renewal.pk}/?stage=churned")
    form = client.get(churn["HX-Redirect"])
    assert form.context["form"]["stage"].value() == "churned"
    assert client.post(url, {"stage": "nonsense", "version": renewal.version}).status_code == 302
    client.force_login(am_oscar)
    assert client.post(url, {"stage": "committed", "version": renewal.version}).status_code == 404


def test_board_costs_constant_queries(client, am_alice, alice_client, board, django_assert_max_num_queries):
    for n in range(10):
        _contract(am_alice, alice_client, f"MORE-{n}", value="1000", currency="USD" if n % 2 else "EUR")
    contract_services.renewals_open_due(today=timezone.localdate(), horizon_days=400)
    client.force_login(am_alice)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("dashboards:renewals_board")).status_code == 200
