"""Renewal checkpoints 120/90/60 days out become the AM's follow-ups, once each, and show on My day."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from contracts import services as contract_services
from contracts.models import Renewal
from dashboards.selectors import my_day
from interactions import services, tasks
from interactions.models import FollowUp, FollowUpOrigin, FollowUpStatus

START = dt.date(2026, 1, 1)
DUE = dt.date(2026, 12, 31)


@pytest.fixture
def renewal(am_alice, alice_client):
    contract_services.contract_create(
        by=am_alice, client=alice_client, today=START, number="C-CP", start_date=START, term_months=12,
        value=Decimal("24000"), currency="EUR", status="active",
    )  # fmt: skip
    contract_services.renewals_open_due(today=DUE - dt.timedelta(days=130), horizon_days=150)
    return Renewal.objects.get()


def _checkpoints():
    return list(
        FollowUp.objects.filter(origin=FollowUpOrigin.RENEWAL).order_by("pk").values_list("checkpoint_days", "due_date")
    )


def test_each_checkpoint_once(renewal, am_alice):
    assert services.renewal_checkpoints_create(today=DUE - dt.timedelta(days=121)) == 0
    assert services.renewal_checkpoints_create(today=DUE - dt.timedelta(days=120)) == 1
    assert services.renewal_checkpoints_create(today=DUE - dt.timedelta(days=119)) == 0  # idempotent
    assert services.renewal_checkpoints_create(today=DUE - dt.timedelta(days=90)) == 1
    # The daily task missed the 60-day day and ran at 55: that checkpoint is created then, due that day.
    assert tasks.renewal_checkpoints.delay((DUE - dt.timedelta(days=55)).isoformat()).get() == 1
    assert _checkpoints() == [
        (120, DUE - dt.timedelta(days=120)),
        (90, DUE - dt.timedelta(days=90)),
        (60, DUE - dt.timedelta(days=55)),
    ]
    followup = FollowUp.objects.get(checkpoint_days=120)
    assert followup.owner == am_alice and "C-CP" in followup.title and followup.renewal == renewal


def test_a_renewal_opened_late_gets_only_its_latest_checkpoint(renewal):
    assert services.renewal_checkpoints_create(today=DUE - dt.timedelta(days=70)) == 1
    assert _checkpoints() == [(90, DUE - dt.timedelta(days=70))]


def test_checkpoints_show_on_my_day_and_close_with_the_renewal(renewal, am_alice):
    day = DUE - dt.timedelta(days=90)
    services.renewal_checkpoints_create(today=day)
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC), tick=False):
        view = my_day(user=am_alice, today=day)
    assert [f.origin for f in view.followups_today] == [FollowUpOrigin.RENEWAL]
    contract_services.renewal_update(
        renewal=renewal, by=am_alice, expected_version=renewal.version, today=day, stage="renewed"
    )
    services.renewal_checkpoints_create(today=day + dt.timedelta(days=1))
    assert FollowUp.objects.get().status == FollowUpStatus.CANCELLED
