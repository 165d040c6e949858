"""Pages and API of contracts, renewals and rates: the same services; bad input never a 500."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts import services
from contracts.models import Contract, ExchangeRate, Renewal, RenewalStage


@pytest.fixture
def contract(alice_client, am_alice):
    return services.contract_create(
        by=am_alice, client=alice_client, today=timezone.localdate(), number="C-100",
        start_date=timezone.localdate() - dt.timedelta(days=300), term_months=12, value=Decimal("12000"),
        currency="EUR", status="active",
    )  # fmt: skip


def test_client_page_shows_the_contracts_panel(client, am_alice, contract):
    client.force_login(am_alice)
    page = client.get(reverse("clients:detail", args=[contract.client_id]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "C-100" in body and "12,000 EUR" in body


def test_create_page_saves_and_shows_errors_on_the_field(client, am_alice, alice_client):
    client.force_login(am_alice)
    url = reverse("contracts:create", args=[alice_client.pk])
    data = {"number": "C-NEW", "kind": "new", "status": "active", "start_date": "2026-01-01", "term_months": "12",
            "value": "1200", "currency": "eur", "billing_period": "annual", "notice_period_days": "90"}  # fmt: skip
    bad = client.post(url, {**data, "end_date": "2025-01-01"})
    assert bad.status_code == 200 and "cannot end before it starts" in bad.content.decode()
    bad = client.post(url, {**data, "value": "lots"})
    assert bad.status_code == 200
    ok = client.post(url, data)
    assert ok.status_code == 302
    created = Contract.objects.get(number="C-NEW")
    assert (created.currency, created.end_date) == ("EUR", dt.date(2026, 12, 31))


def test_duplicate_number_is_a_form_error_not_a_500(client, am_alice, alice_client, contract):
    client.force_login(am_alice)
    data = {"number": "C-100", "kind": "new", "status": "active", "start_date": "2026-01-01", "term_months": "12",
            "value": "1200", "currency": "EUR", "billing_period": "annual", "notice_period_days": "90"}  # fmt: skip
    response = client.post(reverse("contracts:create", args=[alice_client.pk]), data)
    assert response.status_code == 200


def test_renewals_page_and_edit(client, am_alice, contract):
    services.renewals_open_due(today=timezone.localdate(), horizon_days=120)
    renewal = Renewal.objects.get()
    client.force_login(am_alice)
    page = client.get(reverse("contracts:renewals"), {"stage": "", "key_account": "maybe"})
    assert page.status_code == 200
    page = client.get(reverse("contracts:renewals"))
    assert "C-100" in page.content.decode()
    refused = client.post(
        reverse("contracts:renewal_edit", args=[renewal.pk]), {"stage": "churned", "version": renewal.version}
    )
    assert refused.status_code == 200 and "churned" in refused.content.decode()
    done = client.post(
        reverse("contracts:renewal_edit", args=[renewal.pk]),
        {"stage": "committed", "forecast_call": "commit", "forecast_amount": "12000", "version": renewal.version},
    )
    assert done.status_code == 302
    assert Renewal.objects.get().stage == RenewalStage.COMMITTED


def test_import_page_previews_then_imports(client, am_alice, alice_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = (
        "ContractNumber,AccountId,StartDate,ContractTerm,Status,Amount\n"
        f"9001,{alice_client.external_id},2026-01-01,12,Activated,5000\n"
    )
    client.force_login(am_alice)
    preview = client.post(reverse("contracts:import"), {"file": SimpleUploadedFile("c.csv", csv.encode())})
    assert preview.status_code == 200 and not Contract.objects.exists()
    token = preview.context["token"]
    done = client.post(reverse("contracts:import"), {"token": token})
    assert done.status_code == 302 and Contract.objects.filter(number="9001").exists()


def test_api_create_patch_and_stale_version(client, am_alice, alice_client):
    client.force_login(am_alice)
    created = client.post(
        "/api/v1/contracts/",
        {
            "client": alice_client.pk,
            "number": "API-1",
            "start_date": "2026-01-01",
            "term_months": 12,
            "value": "1200.00",
            "currency": "EUR",
            "status": "active",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["end_date"] == "2026-12-31" and body["annual_value"] == "1200.00"
    stale = client.patch(
        f"/api/v1/contracts/{body['id']}/", {"value": "2400", "version": 99}, content_type="application/json"
    )
    assert stale.status_code == 409
    bad = client.patch(
        f"/api/v1/contracts/{body['id']}/",
        {"end_date": "2020-01-01", "version": body["version"]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    duplicate = client.post(
        "/api/v1/contracts/",
        {
            "client": alice_client.pk,
            "number": "API-1",
            "start_date": "2026-01-01",
            "term_months": 12,
            "value": "1.00",
            "currency": "EUR",
        },
        content_type="application/json",
    )
    assert duplicate.status_code == 400


def test_rates_api_is_admin_only_and_all_or_nothing(client, admin_ada, am_alice):
    batch = {"rates": [{"currency": "USD", "date": "2026-01-01", "rate": "0.9"}]}
    client.force_login(am_alice)
    assert client.post("/api/v1/exchange-rates/", batch, content_type="application/json").status_code == 403
    client.force_login(admin_ada)
    assert client.post("/api/v1/exchange-rates/", batch, content_type="application/json").status_code == 201
    broken = {"rates": [{"currency": "GBP", "date": "2026-01-01", "rate": "1.1"}, {"currency": "EUR",
              "date": "2026-01-01", "rate": "1"}]}  # fmt: skip
    assert client.post("/api/v1/exchange-rates/", broken, content_type="application/json").status_code == 400
    assert not ExchangeRate.objects.filter(currency="GBP").exists()
    assert client.get("/api/v1/exchange-rates/?currency=usd").json()["results"][0]["rate"] == "0.9000000000"


def test_rates_page_upload(client, admin_ada):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin_ada)
    upload = SimpleUploadedFile("r.csv", b"currency,date,rate\nUSD,2026-01-01,0.9\n")
    assert client.post(reverse("contracts:rates"), {"action": "upload", "file": upload}).status_code == 302
    assert client.post(reverse("contracts:rates"), {"action": "one", "currency": "x"}).status_code == 200
    assert ExchangeRate.objects.count() == 1


def test_the_openapi_schema_has_the_contract_endpoints(client, am_alice):
    client.force_login(am_alice)
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/contracts/", "/api/v1/renewals/", "/api/v1/exchange-rates/"):
        assert path in schema
