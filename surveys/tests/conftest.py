from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from clients.models import ClientStatus
from tests.factories import ClientFactory, ContactFactory

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """The per-address request counter lives in the cache; each test starts with none spent."""
    cache.clear()


@pytest.fixture
def acme(am_alice):
    client = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
    client.dora = ContactFactory(client=client, first_name="Dora", last_name="Lind", email="dora@acme.example")
    client.ivan = ContactFactory(client=client, first_name="Ivan", last_name="Berg", email="ivan@acme.example")
    client.mia = ContactFactory(client=client, first_name="Mia", last_name="Sund", email="mia@acme.example")
    return client


@pytest.fixture
def globex(am_oscar):
    client = ClientFactory(name="Globex", owner=am_oscar, team=am_oscar.team, status=ClientStatus.ACTIVE)
    client.gina = ContactFactory(client=client, first_name="Gina", email="gina@globex.example")
    return client
