"""The client list shows each client's health and filters by band (health contributes the column)."""

import pytest
from django.utils import timezone

from health.models import HealthModel, HealthScore
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _score(client, score, band):
    model = HealthModel.objects.filter(is_active=True).first() or HealthModel.objects.create(
        version=1, components=[], is_active=True
    )
    HealthScore.objects.create(
        client=client, model=model, date=timezone.localdate(), score=score, band=band, coverage=1, components=[]
    )


def test_health_column_and_band_filter(client, am_alice):
    sick = ClientFactory(name="Sick Co", owner=am_alice, team=am_alice.team)
    fine = ClientFactory(name="Fine Co", owner=am_alice, team=am_alice.team)
    ClientFactory(name="Unscored Co", owner=am_alice, team=am_alice.team)
    _score(sick, 23, "red")
    _score(fine, 88, "green")
    client.force_login(am_alice)

    page = client.get("/clients/").content.decode()
    assert ">Health</th>" in page
    assert "23 · Red" in page and "88 · Green" in page
    assert 'name="health"' in page  # the band filter is offered

    red = client.get("/clients/?health=red")
    assert [c.name for c in red.context["page"].object_list] == ["Sick Co"]
    # A band that does not exist is ignored, not an error.
    assert len(client.get("/clients/?health=purple").context["page"].object_list) == 3
