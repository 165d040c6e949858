"""A renewal whose date passed yesterday, on a client still live, stays in sight: top of My day and a list filter."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_overdue_renewals_lead_the_renewals_section_and_the_list_filter(client, am_alice):
    today = timezone.localdate()
    late = ClientFactory(name="Late Renewal", owner=am_alice, team=am_alice.team, renewal_date=today - dt.timedelta(1))
    ClientFactory(name="Soon Renewal", owner=am_alice, team=am_alice.team, renewal_date=today + dt.timedelta(10))
    ClientFactory(
        name="Churned Renewal",
        owner=am_alice,
        team=am_alice.team,
        status="churned",
        renewal_date=today - dt.timedelta(3),
    )
    client.force_login(am_alice)
    response = client.get("/my-day/")
    assert [c.pk for c in response.context["day"].renewals_overdue] == [late.pk]
    page = response.content.decode()
    assert "Overdue: renewal date passed" in page
    assert page.index("Late Renewal") < page.index("Soon Renewal")

    listed = client.get("/clients/?renewal_within=overdue").context["page"].object_list
    assert "Late Renewal" in [c.name for c in listed]
    assert "Soon Renewal" not in [c.name for c in listed]


def test_the_portfolio_links_to_every_overdue_renewal_past_the_first_ten(client, lead_lena, am_alice):
    today = timezone.localdate()
    for n in range(11):
        ClientFactory(name=f"Late {n}", owner=am_alice, team=am_alice.team, renewal_date=today - dt.timedelta(n + 1))
    client.force_login(lead_lena)
    response = client.get("/portfolio/")
    assert response.status_code == 200
    assert len(response.context["view"].renewals_overdue) == 11
    assert 'href="/clients/team/?renewal_within=overdue">All overdue renewals</a>' in response.content.decode()
