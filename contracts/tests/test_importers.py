"""The Salesforce Contract import: dry run first, all or nothing, bad rows named, the same file twice a no-op."""

import datetime as dt
from decimal import Decimal

import pytest

from contracts.importers import import_contracts, import_exchange_rates
from contracts.models import Contract, ContractStatus, ExchangeRate
from tests.factories import ClientFactory

TODAY = dt.date(2026, 6, 15)
HEADER = "Id,ContractNumber,AccountId,StartDate,EndDate,ContractTerm,Status,CurrencyIsoCode,Amount\n"
GOOD = (
    HEADER
    + "800A1,00000101,ACC-N1,2026-01-01,,12,Activated,EUR,120000\n"
    + '800A2,00000102,ACC-N1,2026-03-01,2027-02-28,,Draft,USD,"24,000.00"\n'
)


@pytest.fixture
def north(am_alice):
    return ClientFactory(name="Nordwind", external_id="ACC-N1", owner=am_alice, team=am_alice.team, arr=0)


def test_dry_run_writes_nothing_then_import_then_same_file_again_changes_nothing(north, am_alice):
    report = import_contracts(data=GOOD.encode(), by=am_alice, dry_run=True, today=TODAY)
    assert report.ok and report.summary["created"] == 2
    assert not Contract.objects.exists()

    report = import_contracts(data=GOOD.encode(), by=am_alice, dry_run=False, today=TODAY)
    assert report.applied and report.summary["created"] == 2
    first = Contract.objects.get(number="00000101")
    assert (first.status, first.end_date, first.value, first.currency) == (
        ContractStatus.ACTIVE, dt.date(2026, 12, 31), Decimal("120000.00"), "EUR",
    )  # fmt: skip
    second = Contract.objects.get(number="00000102")
    assert (second.term_months, second.value, second.currency) == (12, Decimal("24000.00"), "USD")
    north.refresh_from_db()
    assert (north.arr, north.renewal_date) == (Decimal("120000.00"), dt.date(2026, 12, 31))

    again = import_contracts(data=GOOD.encode(), by=am_alice, dry_run=False, today=TODAY)
    assert again.applied and again.summary == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "errors": 0}
    assert Contract.objects.get(number="00000101").version == first.version


def test_a_changed_row_updates_the_contract(north, am_alice):
    import_contracts(data=GOOD.encode(), by=am_alice, dry_run=False, today=TODAY)
    changed = GOOD.replace(",120000\n", ",130000\n")
    report = import_contracts(data=changed.encode(), by=am_alice, dry_run=False, today=TODAY)
    assert report.summary["updated"] == 1
    assert Contract.objects.get(number="00000101").value == Decimal("130000.00")


def test_bad_rows_are_named_and_nothing_is_written(north, am_alice, am_oscar):
    ClientFactory(name="Quokka", external_id="ACC-S1", owner=am_oscar, team=am_oscar.team)
    bad = (
        HEADER
        + "1,00000201,ACC-N1,2026-01-01,,12,Activated,EUR,1000\n"  # fine
        + "2,00000202,ACC-N1,2026-13-01,,12,Activated,EUR,1000\n"  # bad date
        + "3,00000203,ACC-N1,2026-01-01,,12,Exploded,EUR,1000\n"  # unknown status
        + "4,00000204,ACC-N1,2026-01-01,,12,Activated,EUR,12k\n"  # not a number
        + "5,00000205,NOPE,2026-01-01,,12,Activated,EUR,1000\n"  # unknown client
        + "6,00000206,ACC-S1,2026-01-01,,12,Activated,EUR,1000\n"  # another team's client
        + "7,00000201,ACC-N1,2026-01-01,,12,Activated,EUR,1000\n"  # the same number twice
        + "8,00000208,ACC-N1,2026-05-01,2026-01-01,,Activated,EUR,1000\n"  # ends before it starts
        + "9,00000209,ACC-N1,2026-01-01,,12,Activated,EURO,1000\n"  # bad currency
    )
    report = import_contracts(data=bad.encode(), by=am_alice, dry_run=False, today=TODAY)

    assert not report.applied
    assert [line for line, _ in report.errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    messages = dict(report.errors)
    assert "StartDate" in messages[3]
    assert "Exploded" in messages[4]
    assert "12k" in messages[5]
    assert "NOPE" in messages[6] and "ACC-S1" in messages[7]
    assert "line 2" in messages[8]
    assert "before" in messages[9] and "EURO" in messages[10]
    assert not Contract.objects.exists()


def test_a_file_that_is_not_a_contract_export_is_refused(am_alice):
    report = import_contracts(data=b"Name,Amount\nx,1\n", by=am_alice, dry_run=True, today=TODAY)
    assert report.errors and "ContractNumber" in report.errors[0][1]
    report = import_contracts(data=b"PK\x03\x04binary", by=am_alice, dry_run=True, today=TODAY)
    assert report.errors and "Excel" in report.errors[0][1]


def test_sales_cannot_import_contracts(sales_sam):
    report = import_contracts(data=GOOD.encode(), by=sales_sam, dry_run=False, today=TODAY)
    assert report.errors == [(0, "Your role cannot import contracts.")]


def test_exchange_rates_csv_is_all_or_nothing(admin_ada, am_alice):
    good = b"currency,date,rate\nUSD,2026-01-01,0.9\nJPY,2026-01-01,0.0061\n"
    assert import_exchange_rates(data=good, by=am_alice, dry_run=False).errors
    report = import_exchange_rates(data=good, by=admin_ada, dry_run=False)
    assert report.ok and report.created == 2
    assert ExchangeRate.objects.get(currency="JPY").rate == Decimal("0.0061")
    assert import_exchange_rates(data=good, by=admin_ada, dry_run=False).unchanged == 2

    bad = b"currency,date,rate\nGBP,2026-01-01,1.1\nCHF,2026-01-01,-1\nXX,2026-01-01,1\n"
    report = import_exchange_rates(data=bad, by=admin_ada, dry_run=False)
    assert [line for line, _ in report.errors] == [3, 4]
    assert not ExchangeRate.objects.filter(currency="GBP").exists()
