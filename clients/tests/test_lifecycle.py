"""The dated client lifecycle: every status change is a row; live on a day and churn dates are queries."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from clients import selectors, services
from clients.models import ClientStatus, ClientStatusChange
from core.errors import ApplicationError, NotAllowedError

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def onboarded(am_alice):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        return services.client_create(by=am_alice, name="Lifecycle Ltd")


def test_creating_a_client_records_its_first_step(onboarded):
    (row,) = ClientStatusChange.objects.filter(client=onboarded)
    assert (row.status, row.previous_status, row.effective_on) == (ClientStatus.ONBOARDING, "", dt.date(2026, 3, 2))


def test_status_change_is_dated_and_live_on_a_day_follows_it(onboarded, am_alice):
    services.client_status_change(
        client=onboarded,
        by=am_alice,
        status=ClientStatus.ACTIVE,
        effective_on=dt.date(2026, 4, 1),
        today=dt.date(2026, 4, 1),
    )
    services.client_status_change(
        client=onboarded,
        by=am_alice,
        status=ClientStatus.CHURNED,
        churn_reason="competitor",
        reason="Moved to a rival",
        today=TODAY,
    )
    onboarded.refresh_from_db()
    assert onboarded.status == ClientStatus.CHURNED
    live = lambda day: onboarded.pk in selectors.live_client_ids(on_date=day)  # noqa: E731
    assert [live(dt.date(2026, 3, 1)), live(dt.date(2026, 3, 2)), live(TODAY - dt.timedelta(days=1)), live(TODAY)] == [
        False, True, True, False,
    ]  # fmt: skip
    (event,) = selectors.churn_events(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    assert (event.client_id, event.on, event.churn_reason, event.kind) == (onboarded.pk, TODAY, "competitor", "churned")


def test_a_churn_needs_its_reason(onboarded, am_alice):
    with pytest.raises(ApplicationError):
        services.client_status_change(client=onboarded, by=am_alice, status=ClientStatus.CHURNED, today=TODAY)
    assert not selectors.churn_events(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))


def test_only_admins_back_date_and_the_row_says_so(onboarded, am_alice, admin_ada):
    with pytest.raises(NotAllowedError):
        services.client_status_change(
            client=onboarded,
            by=am_alice,
            status=ClientStatus.PAUSED,
            effective_on=TODAY - dt.timedelta(days=3),
            today=TODAY,
        )
    row = services.client_status_change(
        client=onboarded,
        by=admin_ada,
        status=ClientStatus.CHURNED,
        churn_reason="budget",
        effective_on=dt.date(2026, 5, 1),
        today=TODAY,
    )
    assert (row.backdated, row.changed_by, row.effective_on) == (True, admin_ada, dt.date(2026, 5, 1))
    assert onboarded.pk not in selectors.live_client_ids(on_date=dt.date(2026, 5, 1))
    assert onboarded.pk in selectors.live_client_ids(on_date=dt.date(2026, 4, 30))
    with pytest.raises(ApplicationError):  # never before the last recorded step
        services.client_status_change(
            client=onboarded, by=admin_ada, status=ClientStatus.ACTIVE, effective_on=dt.date(2026, 4, 1), today=TODAY
        )


def test_a_downgrade_keeps_the_status_and_is_an_event(onboarded, am_alice):
    services.client_status_change(
        client=onboarded, by=am_alice, status=ClientStatus.ONBOARDING, downgraded=True, today=TODAY
    )
    onboarded.refresh_from_db()
    assert onboarded.status == ClientStatus.ONBOARDING
    events = selectors.churn_events(start=TODAY, end=TODAY, downgrades=True)
    assert [(e.client_id, e.kind) for e in events] == [(onboarded.pk, "downgraded")]
    assert selectors.churn_events(start=TODAY, end=TODAY) == []


def test_the_form_on_the_client_page_records_a_change(onboarded, am_alice, client):
    client.force_login(am_alice)
    url = reverse("clients:status_change", args=[onboarded.pk])
    assert client.get(url).status_code == 200
    today = dt.date.today()
    response = client.post(url, {"status": "paused", "effective_on": today.isoformat(), "reason": "Seasonal"})
    assert response.status_code == 302
    assert ClientStatusChange.objects.filter(client=onboarded).latest("pk").status == ClientStatus.PAUSED
    # An AM cannot back-date from the form: the change is refused with the reason on the field.
    response = client.post(url, {"status": "active", "effective_on": (today - dt.timedelta(days=5)).isoformat()})
    assert response.status_code == 200 and "Only an admin" in response.content.decode()


def test_the_api_action_records_a_back_dated_churn_for_an_admin(onboarded, admin_ada, client):
    client.force_login(admin_ada)
    day = dt.date.today() - dt.timedelta(days=2)
    response = client.post(
        f"/api/v1/clients/{onboarded.pk}/status/",
        {"status": "churned", "churn_reason": "price", "effective_on": day.isoformat(), "reason": "Too expensive"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["backdated"] is True
    assert [e.on for e in selectors.churn_events(start=day, end=day)] == [day]


def test_handoff_flow_writes_every_step(sales_sam, am_alice, team_north):
    """Every path that changes a status writes its row: prospect, handoff sent, returned, sent again, accepted."""
    prospect = services.prospect_create(by=sales_sam, name="Flow GmbH")
    handoff, _ = services.handoff_create(
        by=sales_sam,
        client=prospect,
        deal_name="Flow deal",
        deal_amount=1000,
        close_date=dt.date(2026, 1, 5),
        goals="Grow",
        to_team=team_north,
    )
    services.handoff_return(handoff=handoff, by=am_alice, reason="Missing scope")
    services.handoff_resend(handoff=handoff, by=sales_sam)
    services.handoff_accept(handoff=handoff, by=am_alice)
    steps = list(ClientStatusChange.objects.filter(client=prospect).order_by("pk").values_list("status", flat=True))
    assert steps == ["prospect", "handoff_pending", "prospect", "handoff_pending", "onboarding"]
    assert prospect.pk in selectors.live_client_ids(on_date=dt.date.today())
