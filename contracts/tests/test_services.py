"""Contracts drive the client's ARR, MRR and renewal date; handoffs open contracts; renewals open and close."""

import datetime as dt
from decimal import Decimal

import pytest

from clients import services as client_services
from clients.models import Client, ContactRole, DealKind
from contracts import selectors, services
from contracts.models import Contract, ContractKind, ContractStatus, Renewal, RenewalStage
from core.errors import ApplicationError, NotAllowedError

D = dt.date
TODAY = D(2026, 6, 15)


def make(client, by, number="C-1", **fields):
    values = {
        "kind": ContractKind.NEW,
        "start_date": D(2026, 1, 1),
        "term_months": 12,
        "value": Decimal("120000"),
        "currency": "EUR",
        "status": ContractStatus.ACTIVE,
    }
    values.update(fields)
    return services.contract_create(by=by, client=client, today=TODAY, number=number, **values)


def test_the_term_gives_the_end_date_and_arr_mrr_follow_the_value(alice_client, am_alice):
    contract = make(alice_client, am_alice, value=Decimal("240000"), term_months=24)

    assert contract.end_date == D(2027, 12, 31)
    assert selectors.annual_value(contract) == Decimal("120000.00")
    arr = selectors.arr_as_of(client=alice_client, on_date=TODAY)
    assert dict(arr) == {"EUR": Decimal("120000.00")}
    assert dict(selectors.mrr(arr)) == {"EUR": Decimal("10000.00")}


def test_client_arr_and_renewal_date_are_derived_from_active_contracts(alice_client, am_alice):
    make(alice_client, am_alice)
    make(alice_client, am_alice, "C-2", kind=ContractKind.UPSELL, start_date=D(2026, 4, 1), term_months=9,
         value=Decimal("9000"))  # fmt: skip
    make(alice_client, am_alice, "C-DRAFT", status=ContractStatus.DRAFT, value=Decimal("999999"))

    client = Client.objects.get(pk=alice_client.pk)
    assert client.arr == Decimal("132000.00")  # 120,000 + 9,000 / 9 × 12; the draft does not count
    assert client.currency == "EUR"
    assert client.contract_start == D(2026, 1, 1)
    assert client.renewal_date == D(2026, 12, 31)  # the first end among the contracts in force


def test_arr_as_of_a_date_is_a_query_over_contract_dates(alice_client, am_alice):
    make(alice_client, am_alice, start_date=D(2025, 1, 1))  # 2025
    make(alice_client, am_alice, "C-2", kind=ContractKind.RENEWAL, start_date=D(2026, 1, 1), value=Decimal("150000"))
    make(alice_client, am_alice, "C-3", kind=ContractKind.DOWNSELL, start_date=D(2026, 7, 1), term_months=6,
         value=Decimal("15000"))  # fmt: skip

    assert selectors.arr_as_of(client=alice_client, on_date=D(2024, 12, 31)) == {}
    assert dict(selectors.arr_as_of(client=alice_client, on_date=D(2025, 6, 1))) == {"EUR": Decimal("120000.00")}
    assert dict(selectors.arr_as_of(client=alice_client, on_date=D(2026, 3, 1))) == {"EUR": Decimal("150000.00")}
    assert dict(selectors.arr_as_of(client=alice_client, on_date=D(2026, 8, 1))) == {"EUR": Decimal("120000.00")}


def test_a_terminated_contract_stops_counting_on_its_termination_day(alice_client, am_alice):
    contract = make(alice_client, am_alice)
    services.contract_update(contract=contract, by=am_alice, expected_version=contract.version, today=TODAY,
                             status=ContractStatus.TERMINATED, terminated_on=D(2026, 5, 1))  # fmt: skip

    assert dict(selectors.arr_as_of(client=alice_client, on_date=D(2026, 4, 30))) == {"EUR": Decimal("120000.00")}
    assert selectors.arr_as_of(client=alice_client, on_date=D(2026, 5, 1)) == {}
    assert Client.objects.get(pk=alice_client.pk).arr == 0


def test_two_currencies_convert_with_the_rate_of_the_day_and_a_missing_rate_is_not_guessed(
    alice_client, am_alice, admin_ada, settings
):
    settings.BASE_CURRENCY = "EUR"
    make(alice_client, am_alice)
    make(alice_client, am_alice, "C-USD", kind=ContractKind.UPSELL, currency="USD", value=Decimal("10000"))
    client = Client.objects.get(pk=alice_client.pk)
    # No USD rate: the client keeps its largest currency as is; nothing is converted at a guessed rate.
    assert (client.arr, client.currency) == (Decimal("120000.00"), "EUR")
    revenue = selectors.client_revenue(client=client, today=TODAY)
    assert revenue.conversion.missing == ("USD",) and revenue.conversion.amount is None

    services.exchange_rate_set(by=admin_ada, currency="USD", date=D(2026, 6, 1), rate=Decimal("0.9"))
    services.client_revenue_recompute(client=client, by=None, today=TODAY)
    client.refresh_from_db()
    assert (client.arr, client.currency) == (Decimal("129000.00"), "EUR")


def test_the_client_form_and_service_refuse_typing_derived_fields(alice_client, am_alice):
    from clients.forms import ClientForm

    assert "arr" not in {n for n, f in ClientForm(instance=alice_client, user=am_alice).fields.items() if f.disabled}
    make(alice_client, am_alice)
    client = Client.objects.get(pk=alice_client.pk)
    form = ClientForm(instance=client, user=am_alice)
    assert all(form.fields[name].disabled for name in ("arr", "currency", "contract_start", "renewal_date"))
    with pytest.raises(ApplicationError) as refused:
        client_services.client_update(client=client, by=am_alice, expected_version=client.version, arr=Decimal("1"))
    assert refused.value.field == "arr"
    # The same value (a form posting the disabled field back) is fine.
    client_services.client_update(client=client, by=am_alice, expected_version=client.version, arr=client.arr,
                                  name="Renamed")  # fmt: skip


def test_teammates_and_sales_cannot_write_contracts(alice_client, am_bob, sales_sam, am_oscar):
    for user in (am_bob, sales_sam, am_oscar):
        with pytest.raises(NotAllowedError):
            make(alice_client, user)


def test_an_end_before_the_start_is_refused(alice_client, am_alice):
    with pytest.raises(ApplicationError) as refused:
        make(alice_client, am_alice, end_date=D(2025, 1, 1))
    assert refused.value.field == "end_date"


# --- handoffs -------------------------------------------------------------------------------------


@pytest.fixture
def handoff(sales_sam, team_north):
    prospect = client_services.prospect_create(by=sales_sam, name="Acme", external_id="ACC-1")
    dora = client_services.contact_create(
        client=prospect, by=sales_sam, first_name="Dora", role=ContactRole.DECISION_MAKER
    )
    handoff, _ = client_services.handoff_create(
        by=sales_sam, client=prospect, deal_name="Acme platform", deal_external_id="OPP-1",
        deal_amount=Decimal("60000"), currency="USD", close_date=D(2026, 5, 20), goals="Faster deliveries",
        to_team=team_north, stakeholders=[dora],
    )  # fmt: skip
    return handoff


def test_accepting_a_handoff_creates_the_first_contract(handoff, am_alice):
    client_services.handoff_accept(handoff=handoff, by=am_alice)

    contract = Contract.objects.get(client=handoff.client)
    assert (contract.kind, contract.status, contract.value, contract.currency) == (
        ContractKind.NEW, ContractStatus.ACTIVE, Decimal("60000.00"), "USD",
    )  # fmt: skip
    assert (contract.start_date, contract.end_date) == (D(2026, 5, 20), D(2027, 5, 19))
    client = Client.objects.get(pk=handoff.client_id)
    assert (client.arr, client.currency, client.renewal_date) == (Decimal("60000.00"), "USD", D(2027, 5, 19))


def test_an_accepted_expansion_creates_an_upsell_contract(handoff, am_alice, sales_sam):
    client_services.handoff_accept(handoff=handoff, by=am_alice)
    receipt = client_services.deal_receive(
        by=sales_sam, deal_name="More seats", deal_external_id="OPP-2", closed_won=True,
        client_external_id="ACC-1", deal_amount=Decimal("12000"), currency="USD", close_date=D(2026, 6, 1),
        goals="More seats",
    )  # fmt: skip
    assert receipt.handoff.kind == DealKind.EXPANSION
    client_services.handoff_accept(handoff=receipt.handoff, by=am_alice)

    upsell = Contract.objects.get(handoff=receipt.handoff)
    assert upsell.kind == ContractKind.UPSELL
    assert Client.objects.get(pk=handoff.client_id).arr == Decimal("72000.00")


# --- renewals -------------------------------------------------------------------------------------


def test_renewals_open_for_contracts_approaching_their_end_once(alice_client, am_alice):
    ending = make(alice_client, am_alice, start_date=D(2025, 10, 1))  # ends 2026-09-30
    make(alice_client, am_alice, "C-LATER", start_date=D(2026, 6, 1))  # ends 2027-05-31

    assert services.renewals_open_due(today=TODAY, horizon_days=120) == 1
    assert services.renewals_open_due(today=TODAY, horizon_days=120) == 0
    renewal = Renewal.objects.get()
    assert (renewal.contract, renewal.due_on, renewal.stage) == (ending, D(2026, 9, 30), RenewalStage.NOT_STARTED)


def test_closing_a_renewal_needs_its_outcome(alice_client, am_alice):
    make(alice_client, am_alice, start_date=D(2025, 10, 1))
    services.renewals_open_due(today=TODAY, horizon_days=120)
    renewal = Renewal.objects.get()

    with pytest.raises(ApplicationError) as refused:
        services.renewal_update(renewal=renewal, by=am_alice, expected_version=renewal.version, today=TODAY,
                                stage=RenewalStage.CHURNED)  # fmt: skip
    assert refused.value.field == "churn_reason"
    with pytest.raises(ApplicationError) as refused:
        services.renewal_update(renewal=renewal, by=am_alice, expected_version=renewal.version, today=TODAY,
                                stage=RenewalStage.DOWNSOLD)  # fmt: skip
    assert refused.value.field == "new_value"
    done = services.renewal_update(renewal=renewal, by=am_alice, expected_version=renewal.version, today=TODAY,
                                   stage=RenewalStage.CHURNED, churn_reason="Budget cut")  # fmt: skip
    assert (done.closed_on, done.churn_reason) == (TODAY, "Budget cut")


def test_the_renewals_board_puts_overdue_first_and_groups_by_month(alice_client, am_alice, lead_lena, am_oscar):
    make(alice_client, am_alice, "OLD", start_date=D(2025, 6, 1))  # ended 2026-05-31: overdue
    make(alice_client, am_alice, "SOON", start_date=D(2025, 8, 1))  # ends 2026-07-31
    services.renewals_open_due(today=TODAY, horizon_days=120)

    overdue, months = selectors.renewals_board(user=lead_lena, today=TODAY)
    assert [r.contract.number for r in overdue] == ["OLD"]
    assert [(m.month, [r.contract.number for r in m.renewals]) for m in months] == [(D(2026, 7, 1), ["SOON"])]
    assert dict(months[0].value) == {"EUR": Decimal("120000.00")}
    assert selectors.renewals_board(user=am_oscar, today=TODAY) == ([], [])


def test_the_daily_task_expires_ended_contracts_and_opens_renewals(alice_client, am_alice):
    from contracts.tasks import renewals_open_due

    contract = make(alice_client, am_alice, start_date=D(2025, 1, 1))  # ended 2025-12-31
    assert renewals_open_due.delay(on_date=TODAY.isoformat()).get() == 1
    contract.refresh_from_db()
    assert contract.status == ContractStatus.EXPIRED
    client = Client.objects.get(pk=alice_client.pk)
    assert (client.arr, client.renewal_date) == (Decimal("0.00"), D(2025, 12, 31))


def test_a_client_with_a_typed_arr_gets_the_deal_as_a_draft_contract(sales_sam, am_alice, team_north):
    known = client_services.prospect_create(by=sales_sam, name="Known", arr=Decimal("9000"), currency="EUR")
    dora = client_services.contact_create(
        client=known, by=sales_sam, first_name="Dora", role=ContactRole.DECISION_MAKER
    )
    handoff, _ = client_services.handoff_create(
        by=sales_sam, client=known, deal_name="Deal", deal_external_id="OPP-9", deal_amount=Decimal("50000"),
        currency="EUR", close_date=D(2026, 5, 1), goals="Goals", to_team=team_north, stakeholders=[dora],
    )  # fmt: skip
    client_services.handoff_accept(handoff=handoff, by=am_alice)

    contract = Contract.objects.get(handoff=handoff)
    assert contract.status == ContractStatus.DRAFT
    assert Client.objects.get(pk=known.pk).arr == Decimal("9000.00")
    services.contract_update(contract=contract, by=am_alice, expected_version=contract.version, today=TODAY,
                             status=ContractStatus.ACTIVE)  # fmt: skip
    assert Client.objects.get(pk=known.pk).arr == Decimal("50000.00")


def test_grr_and_nrr_of_a_period_in_two_currencies(am_alice, admin_ada, settings, team_north):
    from tests.factories import ClientFactory

    settings.BASE_CURRENCY = "EUR"
    kept, churned, grown = (ClientFactory(owner=am_alice, team=team_north, arr=0) for _ in range(3))
    make(kept, am_alice, "K1", start_date=D(2025, 1, 1), term_months=24, value=Decimal("200000"))  # 100k/yr
    make(churned, am_alice, "C1", start_date=D(2025, 1, 1), term_months=12, value=Decimal("50000"))  # ends 2025
    make(grown, am_alice, "G1", start_date=D(2025, 1, 1), term_months=24, value=Decimal("100000"), currency="USD")
    make(grown, am_alice, "G2", kind=ContractKind.UPSELL, start_date=D(2026, 1, 1), value=Decimal("25000"),
         currency="USD")  # fmt: skip

    missing = selectors.retention(user=am_alice, start=D(2025, 6, 30), end=D(2026, 6, 30))
    assert missing.missing == ("USD",) and missing.grr is None and missing.nrr is None

    services.exchange_rate_set(by=admin_ada, currency="USD", date=D(2026, 6, 1), rate=Decimal("0.8"))
    result = selectors.retention(user=am_alice, start=D(2025, 6, 30), end=D(2026, 6, 30))
    # Start: 100,000 + 50,000 + 50,000 USD × 0.8 = 190,000 EUR; end: 100,000 + 0 + 75,000 × 0.8 = 160,000.
    assert result.starting_arr == Decimal("190000.00")
    assert result.grr == Decimal("0.7368")  # (100,000 + 0 + 40,000) / 190,000
    assert result.nrr == Decimal("0.8421")  # 160,000 / 190,000
    assert result.clients == 3
