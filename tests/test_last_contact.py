""" "Days since contact" is one fact: the health score, the rules and the dashboards read it the same way.

The day is the local day of settings.TIME_ZONE. Near midnight UTC the UTC day and the local day differ;
these tests pin the moment there, where two implementations that disagree on the day would split.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dashboards.selectors import portfolio
from flags.facts import rule_inputs
from health import scoring
from health.selectors import score_inputs
from interactions.models import Interaction, InteractionKind
from interactions.selectors import last_contacts
from tests.factories import ClientFactory

BERLIN = ZoneInfo("Europe/Berlin")
ON_DATE = dt.date(2026, 3, 10)
# 00:30 on 10 March in Berlin is still 23:30 on 9 March in UTC.
JUST_AFTER_LOCAL_MIDNIGHT = dt.datetime(2026, 3, 10, 0, 30, tzinfo=BERLIN)
# 23:50 on 10 March in Berlin: the local day is over only ten minutes later.
JUST_BEFORE_LOCAL_MIDNIGHT = dt.datetime(2026, 3, 10, 23, 50, tzinfo=BERLIN)
ENGAGEMENT_ONLY = scoring.ModelSpec(components=(scoring.ComponentSpec(kind=scoring.ENGAGEMENT, weight=1),))


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def _contact(client, author, at: dt.datetime, kind: str = InteractionKind.CALL) -> Interaction:
    return Interaction.objects.create(client=client, author=author, kind=kind, occurred_at=at, summary="Call")


@pytest.mark.django_db
def test_the_score_and_the_rules_count_a_call_just_after_local_midnight_as_today(berlin, am_alice):
    client = ClientFactory(owner=am_alice, team=am_alice.team, contact_cadence_days=1)
    _contact(client, am_alice, JUST_AFTER_LOCAL_MIDNIGHT)
    assert JUST_AFTER_LOCAL_MIDNIGHT.astimezone(dt.UTC).date() == ON_DATE - dt.timedelta(days=1)

    [health] = score_inputs(on_date=ON_DATE, spec=ENGAGEMENT_ONLY, client_ids=[client.pk])
    [rules] = rule_inputs(client_ids=[client.pk], on_date=ON_DATE, windows=set(), lookbacks=set())
    assert health.days_since_contact == rules.days_since_contact == 0


@pytest.mark.django_db
def test_a_call_late_on_the_local_day_counts_for_that_day_and_not_before(berlin, am_alice):
    client = ClientFactory(owner=am_alice, team=am_alice.team)
    _contact(client, am_alice, JUST_BEFORE_LOCAL_MIDNIGHT)
    _contact(client, am_alice, JUST_BEFORE_LOCAL_MIDNIGHT + dt.timedelta(hours=1), kind=InteractionKind.NOTE)
    [contact] = last_contacts(as_of=ON_DATE, client_ids=[client.pk]).values()
    assert (contact.at, contact.day, contact.days_before(ON_DATE + dt.timedelta(days=2))) == (
        JUST_BEFORE_LOCAL_MIDNIGHT,
        ON_DATE,
        2,
    )
    assert last_contacts(as_of=ON_DATE - dt.timedelta(days=1), client_ids=[client.pk]) == {}


@pytest.mark.django_db
def test_the_dashboard_agrees_that_the_client_is_within_cadence(berlin, lead_lena, am_alice):
    client = ClientFactory(owner=am_alice, team=am_alice.team, contact_cadence_days=1)
    _contact(client, am_alice, JUST_AFTER_LOCAL_MIDNIGHT - dt.timedelta(days=1))  # 9 March, 00:30 local
    report = portfolio(user=lead_lena, as_of=ON_DATE)
    [row] = [row for row in report.per_am if row.owner_id == am_alice.pk]
    assert row.contacted_within_cadence == 1  # one local day ago; two by the UTC day
