"""The demo world has contracts in two currencies with rates, and renewals in every stage."""

import pytest
from django.utils import timezone

from contracts import selectors
from contracts.models import Contract, ExchangeRate, Renewal, RenewalStage
from dashboards.demo_data import seed_demo


@pytest.mark.django_db
def test_demo_contracts_renewals_and_rates():
    seed_demo(clients=60, seed=7)

    assert set(Contract.objects.values_list("currency", flat=True)) == {"EUR", "USD"}
    assert ExchangeRate.objects.filter(currency="USD").exists()
    stages = set(Renewal.objects.values_list("stage", flat=True))
    assert stages >= set(RenewalStage.values) - {RenewalStage.NOT_STARTED}
    arr = selectors.arr_as_of(on_date=timezone.localdate())
    assert selectors.convert(arr, on_date=timezone.localdate()).complete
    client = Contract.objects.select_related("client").first().client
    assert client.arr > 0 and client.renewal_date is not None


@pytest.mark.django_db
def test_demo_invoices_and_documents():
    from contracts.models import Document, Invoice

    seed_demo(clients=30, seed=3)
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert {"paid", "overdue", "issued"} <= statuses
    assert Document.objects.filter(signature="awaiting").exists() and Document.objects.filter(kind="invoice").exists()
