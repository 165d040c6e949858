"""Import of sales CRM exports (clients/importers.py), its HTML flow and its management command."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from clients import services
from clients.importers import import_sales_export
from clients.models import Client, ClientStatus, Handoff, HandoffStatus
from clients.readiness import ReadinessLevel
from tests.factories import ClientFactory

SF_HEADER = (
    "Id,AccountId,Name,StageName,Amount,CloseDate,OwnerId,Account.Name,Account.Industry,"
    "Account.Website,Account.BillingCity,Account.BillingCountry"
)
SF_ROWS = [
    "006A,001A,Acme platform,Closed Won,120000.00,2026-01-15,005SAM,Acme GmbH,Manufacturing,acme.example,Berlin,"
    "Germany",
    "006B,001B,Beta renewal,Negotiation/Review,5000,2026-02-01,005SAM,Beta AG,Retail,,Zurich,Switzerland",
    '006C,001C,Gamma rollout,Closed Won,"1,250,000.50",01/20/2026,005XXX,Gamma Ltd,,,London,UK',
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def csv_bytes(*lines: str, header: str = SF_HEADER, newline: str = "\n", encoding: str = "utf-8") -> bytes:
    return newline.join([header, *lines, ""]).encode(encoding)


SF_FILE = csv_bytes(*SF_ROWS)


def state() -> tuple[int, ...]:
    """Everything an import may write, as counts."""
    return (
        Client.objects.count(),
        Handoff.objects.count(),
        Client.history.count(),
        Handoff.history.count(),
    )


def run(data: bytes, by, *, dry_run: bool = False, **kwargs):
    return import_sales_export(data=data, by=by, dry_run=dry_run, **kwargs)


# --- Salesforce ----------------------------------------------------------------------------------------


def test_salesforce_export_creates_clients_and_one_handoff_per_closed_won_deal(lead_lena, sales_sam, team_north):
    report = run(SF_FILE, lead_lena)

    assert report.errors == []
    assert (report.ok, report.applied, report.source) == (True, True, "salesforce")
    # 001B has only an open deal: sales' pipeline, not a client for the account managers' CRM.
    assert report.summary == {
        "rows": 3,
        "clients_created": 2,
        "clients_updated": 0,
        "clients_unchanged": 0,
        "accounts_skipped": 1,
        "handoffs_created": 2,
        "expansions_created": 0,
        "handoffs_unchanged": 0,
        "handoffs_skipped": 0,
        "not_closed_won": 1,
        "errors": 0,
    }
    assert [(r.line, r.client_action, r.handoff_action) for r in report.rows] == [
        (2, "created", "created"),
        (3, "skipped", "none"),
        (4, "created", "created"),
    ]

    acme = Client.objects.get(external_id="001A")
    assert (acme.name, acme.industry, acme.website, acme.city, acme.country) == (
        "Acme GmbH",
        "Manufacturing",
        "acme.example",
        "Berlin",
        "Germany",
    )
    assert acme.status == ClientStatus.HANDOFF_PENDING
    assert acme.sales_owner == sales_sam  # OwnerId 005SAM is Sam's sales_crm_id
    assert acme.team == team_north
    assert acme.owner is None
    assert not Client.objects.filter(external_id="001B").exists()
    gamma = Client.objects.get(external_id="001C")
    assert gamma.sales_owner is None  # unknown OwnerId

    handoff = Handoff.objects.get(deal_external_id="006A")
    assert (handoff.client, handoff.deal_name, handoff.deal_amount, handoff.close_date) == (
        acme,
        "Acme platform",
        Decimal("120000.00"),
        dt.date(2026, 1, 15),
    )
    assert (handoff.status, handoff.created_by, handoff.currency) == (HandoffStatus.PENDING, lead_lena, "EUR")
    gamma_deal = Handoff.objects.get(deal_external_id="006C")
    assert (gamma_deal.deal_amount, gamma_deal.close_date) == (Decimal("1250000.50"), dt.date(2026, 1, 20))
    assert not Handoff.objects.filter(deal_external_id="006B").exists()
    assert not Client.history.filter(history_user__isnull=True).exists()


def test_the_same_file_twice_changes_nothing(lead_lena, sales_sam):
    run(SF_FILE, lead_lena)
    before = state()
    versions = dict(Client.objects.values_list("pk", "version"))

    report = run(SF_FILE, lead_lena)

    assert report.applied
    assert state() == before
    assert dict(Client.objects.values_list("pk", "version")) == versions
    assert [r.client_action for r in report.rows] == ["unchanged", "skipped", "unchanged"]
    assert [r.handoff_action for r in report.rows] == ["unchanged", "none", "unchanged"]
    summary = report.summary
    assert (summary["clients_created"], summary["clients_updated"], summary["handoffs_created"]) == (0, 0, 0)
    assert (summary["clients_unchanged"], summary["handoffs_unchanged"]) == (2, 2)


def test_a_later_export_updates_changed_accounts_but_never_blanks_fields(lead_lena):
    run(SF_FILE, lead_lena)
    changed = csv_bytes(
        "006A,001A,Acme platform,Closed Won,120000.00,2026-01-15,005SAM,Acme SE,,,Munich,Germany",
        "006D,001B,Beta upsell,Closed Won,7000,2026-02-20,005SAM,Beta AG,Retail,,Zurich,Switzerland",
    )

    report = run(changed, lead_lena)

    assert [(r.client_action, r.handoff_action) for r in report.rows] == [
        ("updated", "unchanged"),
        ("created", "created"),  # the first file's open deal made no client; this won deal does
    ]
    acme = Client.objects.get(external_id="001A")
    assert (acme.name, acme.city, acme.industry, acme.website) == ("Acme SE", "Munich", "Manufacturing", "acme.example")
    assert Handoff.objects.get(deal_external_id="006D").client.external_id == "001B"


def test_account_on_several_rows_with_different_spellings_is_still_idempotent(lead_lena):
    data = csv_bytes(
        "006A,001A,First deal,Closed Won,100,2026-01-15,,Acme GmbH,,,Berlin,",
        "006B,001A,Second deal,Prospecting,200,2026-01-16,,ACME GmbH.,,,,",
    )
    run(data, lead_lena)
    before = state()

    again = run(data, lead_lena)

    assert again.applied
    assert state() == before
    assert {r.client_action for r in again.rows} == {"unchanged"}
    assert Client.objects.get(external_id="001A").city == "Berlin"


def test_plain_data_loader_header_with_two_name_columns(lead_lena):
    data = csv_bytes(
        "006A,001A,Acme platform,Closed Won,120000,2026-01-15,005SAM,Acme GmbH",
        header="Id,AccountId,Name,StageName,Amount,CloseDate,OwnerId,Name",
    )

    report = run(data, lead_lena)

    assert report.applied, report.errors
    assert Client.objects.get(external_id="001A").name == "Acme GmbH"
    assert Handoff.objects.get(deal_external_id="006A").deal_name == "Acme platform"


def test_dry_run_writes_nothing_and_predicts_the_real_run(lead_lena):
    dry = run(SF_FILE, lead_lena, dry_run=True)

    assert (dry.ok, dry.applied, dry.dry_run) == (True, False, True)
    assert state() == (0, 0, 0, 0)
    real = run(SF_FILE, lead_lena)
    assert real.summary == dry.summary
    assert [(r.client_action, r.handoff_action) for r in real.rows] == [
        (r.client_action, r.handoff_action) for r in dry.rows
    ]


def test_bad_rows_are_reported_by_line_and_nothing_is_written(lead_lena):
    data = csv_bytes(
        SF_ROWS[0],
        "006E,001E,Bad date,Closed Won,100,2026-02-30,,Echo Ltd,,,,",
        "006F,001F,Bad amount,Closed Won,12abc,2026-01-10,,Foxtrot Ltd,,,,",
        "006G,,No account,Closed Won,100,2026-01-10,,Golf Ltd,,,,",
        SF_ROWS[1],
        "006A,001H,Duplicate,Closed Won,100,2026-01-10,,Hotel Ltd,,,,",
    )

    report = run(data, lead_lena)

    assert not report.ok and not report.applied
    assert report.errors == [
        (3, "Date '2026-02-30' is not YYYY-MM-DD or MM/DD/YYYY."),
        (4, "Amount '12abc' is not a number."),
        (5, "AccountId is empty."),
        (7, "Deal 006A already appears on line 2."),
    ]
    assert report.summary["errors"] == 4
    assert state() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("006E,001E,Negative,Closed Won,-5,2026-01-10,,Echo,,,,", "Amount '-5' must be zero or more."),
        ("006E,001E,Words,Closed Won,twelve,2026-01-10,,Echo,,,,", "Amount 'twelve' is not a number."),
        ("006E,001E,Two dots,Closed Won,1.2.3,2026-01-10,,Echo,,,,", "Amount '1.2.3' is not a number."),
        ("006E,001E,Date words,Closed Won,1,soon,,Echo,,,,", "Date 'soon' is not YYYY-MM-DD or MM/DD/YYYY."),
        (
            "006E,001E,Date junk,Closed Won,1,2026-01-10xyz,,Echo,,,,",
            "Date '2026-01-10xyz' is not YYYY-MM-DD or MM/DD/YYYY.",
        ),
        ("006E,001E,,Closed Won,1,2026-01-10,,Echo,,,,", "Deal name is empty."),
        (",001E,No id,Closed Won,1,2026-01-10,,Echo,,,,", "Opportunity Id is empty."),
        ("006E,001E,No stage,,1,2026-01-10,,Echo,,,,", "Stage is empty."),
        ("006E,001E,No account name,Closed Won,1,2026-01-10,,,,,,", "Account / company name is empty."),
    ],
)
def test_each_kind_of_bad_cell_is_named(lead_lena, row, message):
    report = run(csv_bytes(row), lead_lena)
    assert report.errors == [(2, message)]
    assert state() == (0, 0, 0, 0)


def test_several_problems_on_one_line_are_reported_together_keeping_the_case_of_ids(lead_lena):
    report = run(
        csv_bytes("006E,,Deal,Closed Won,abc,never,,Echo,,,,", "006E,001X,Again,Closed Won,1,2026-01-10,,X,,,,"),
        lead_lena,
    )
    assert report.errors == [
        (2, "Amount 'abc' is not a number; Date 'never' is not YYYY-MM-DD or MM/DD/YYYY; AccountId is empty."),
    ]
    duplicate = run(
        csv_bytes(
            "006AbC,001Y,Deal,Closed Won,1,2026-01-10,,Y,,,,", "006AbC,001X,Again,Closed Won,1,2026-01-10,,X,,,,"
        ),
        lead_lena,
    )
    assert duplicate.errors == [(3, "Deal 006AbC already appears on line 2.")]


@pytest.mark.parametrize(
    ("amount", "expected", "currency"),
    [
        ("120000", "120000.00", "EUR"),
        ("120000.5", "120000.50", "EUR"),
        ("120,000.50", "120000.50", "EUR"),
        ("$120,000.50", "120000.50", "EUR"),
        (" 120000.50 € ", "120000.50", "EUR"),
        ("USD 120000.50", "120000.50", "USD"),
        ("0", "0.00", "EUR"),
    ],
)
def test_amount_formats_that_are_numbers(lead_lena, amount, expected, currency):
    report = run(csv_bytes(f'006A,001A,Deal,Closed Won,"{amount}",2026-01-15,,Acme,,,,'), lead_lena)
    assert report.applied, report.errors
    handoff = Handoff.objects.get()
    assert (handoff.deal_amount, handoff.currency) == (Decimal(expected), currency)


@pytest.mark.parametrize("amount", ["12abc", "12k", "1O0", "1,20", "12 000", "1e5", "EUR", "NaN", "--1"])
def test_amounts_that_are_not_numbers_are_refused_not_guessed(lead_lena, amount):
    report = run(csv_bytes(f'006A,001A,Deal,Closed Won,"{amount}",2026-01-15,,Acme,,,,'), lead_lena)
    assert report.errors == [(2, f"Amount {amount!r} is not a number.")]


def test_currency_column_and_code_in_the_amount_must_agree(lead_lena):
    header = SF_HEADER + ",CurrencyIsoCode"
    data = csv_bytes(
        "006A,001A,A,Closed Won,GBP 100,2026-01-15,,A Ltd,,,,,GBP",
        "006B,001B,B,Closed Won,USD 100,2026-01-15,,B Ltd,,,,,EUR",
        "006C,001C,C,Closed Won,100,2026-01-15,,C Ltd,,,,,euro",
        header=header,
    )
    report = run(data, lead_lena)
    assert report.errors == [
        (3, "The amount is in USD but the currency column says EUR."),
        (4, "Currency 'EURO' is not a 3-letter ISO code."),
    ]


def test_empty_amount_imports_as_missing_and_blocks_the_handoff(lead_lena, team_north):
    report = run(csv_bytes("006A,001A,Deal,Closed Won,,2026-01-15,,Acme,,,,"), lead_lena, to_team=team_north)
    assert report.applied, report.errors
    handoff = Handoff.objects.get()
    assert handoff.deal_amount is None
    readiness = services.handoff_readiness(handoff)
    assert readiness.level == ReadinessLevel.BLOCKED
    assert "Deal amount is missing." in readiness.blocking


def test_quoted_multiline_fields_keep_line_numbers(lead_lena):
    data = csv_bytes(
        '006A,001A,"Acme platform\nphase 1\nand 2",Closed Won,100,2026-01-15,,Acme GmbH,,,,',
        "006B,001B,Beta,Closed Won,100,2026-13-01,,Beta AG,,,,",
        '006C,001C,"Gamma\nrollout",Closed Won,oops,2026-01-15,,Gamma Ltd,,,,',
        "006D,001D,Delta,Closed Won,100,2026-01-15,,,,,,",
    )

    report = run(data, lead_lena)

    assert [line for line, _ in report.errors] == [5, 6, 8]
    assert state() == (0, 0, 0, 0)

    fixed = (
        data.replace(b"2026-13-01", b"2026-12-01")
        .replace(b"oops", b"1")
        .replace(b"2026-01-15,,,,,,", b"2026-01-15,,Delta Ltd,,,,")
    )
    ok = run(fixed, lead_lena)
    assert ok.applied, ok.errors
    assert [r.line for r in ok.rows] == [2, 5, 6, 8]
    assert Handoff.objects.get(deal_external_id="006A").deal_name == "Acme platform\nphase 1\nand 2"


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings(lead_lena, newline):
    data = csv_bytes(SF_ROWS[0], "006B,001B,Beta,Closed Won,x,2026-01-15,,Beta AG,,,,", newline=newline)
    report = run(data, lead_lena)
    assert report.errors == [(3, "Amount 'x' is not a number.")]


def test_windows_1252_and_utf8_bom_files(lead_lena):
    cp1252 = csv_bytes("006A,001A,Café deal,Closed Won,100,2026-01-15,,Société Générale,,,,", encoding="cp1252")
    assert run(cp1252, lead_lena).applied
    assert Client.objects.get(external_id="001A").name == "Société Générale"
    bom = "\ufeff".encode() + csv_bytes("006B,001B,Straße,Closed Won,100,2026-01-15,,Müller AG,,,,")
    assert run(bom, lead_lena).applied
    assert Client.objects.get(external_id="001B").name == "Müller AG"


def test_other_statuses_are_not_handoffs_but_closed_won_spellings_are(lead_lena):
    data = csv_bytes(
        "006A,001A,A,closed won,1,2026-01-15,,A Ltd,,,,",
        "006B,001B,B,Closed Lost,1,2026-01-15,,B Ltd,,,,",
        "006C,001C,C, Closed Won ,1,2026-01-15,,C Ltd,,,,",
    )
    report = run(data, lead_lena)
    assert [r.handoff_action for r in report.rows] == ["created", "none", "created"]


# --- who imports -----------------------------------------------------------------------------------------


def test_sales_import_makes_the_importer_the_sales_owner(sales_sam, admin_ada):
    other_rep_row = "006A,001A,Acme platform,Closed Won,100,2026-01-15,005OTHER,Acme GmbH,,,,"
    report = run(csv_bytes(other_rep_row), sales_sam)
    assert report.applied
    acme = Client.objects.get(external_id="001A")
    assert (acme.sales_owner, acme.team) == (sales_sam, None)
    assert Handoff.objects.get().created_by == sales_sam


def test_admin_import_matches_owner_id_to_sales_users(admin_ada, sales_sam):
    assert run(SF_FILE, admin_ada).applied
    assert Client.objects.get(external_id="001A").sales_owner == sales_sam
    assert Client.objects.get(external_id="001A").team is None


def test_account_manager_cannot_import(am_alice):
    report = run(SF_FILE, am_alice)
    assert report.errors == [(0, "Your role cannot import sales exports.")]
    assert not report.applied
    assert state() == (0, 0, 0, 0)


def test_new_handoffs_can_be_addressed(lead_lena, am_bob, team_north):
    assert run(SF_FILE, lead_lena, to_team=team_north, to_am=am_bob).applied
    assert set(Handoff.objects.values_list("to_team", "to_am")) == {(team_north.pk, am_bob.pk)}


def test_managed_client_keeps_its_am_and_gets_no_new_handoff(sales_sam, alice_client):
    row = f"006Z,{alice_client.external_id},Upsell,Closed Won,100,2026-01-15,005SAM,Renamed by sales,,,,"
    report = run(csv_bytes(row), sales_sam)

    assert report.applied, report.errors
    # The client stays Alice's and is not handed over again; the won upsell goes to her as an expansion.
    assert [(r.client_action, r.handoff_action) for r in report.rows] == [("kept", "expansion")]
    client = Client.objects.get(pk=alice_client.pk)
    assert (client.name, client.owner, client.status) == ("Nordwind Logistics", alice_client.owner, ClientStatus.ACTIVE)
    expansion = Handoff.objects.get()
    assert (expansion.kind, expansion.to_am, expansion.deal_name) == ("expansion", alice_client.owner, "Upsell")


def test_account_of_a_client_you_cannot_see_fails_the_whole_file(lead_lena, am_oscar):
    oscars = ClientFactory(owner=am_oscar, team=am_oscar.team, external_id="001SOUTH")
    data = csv_bytes(SF_ROWS[0], "006S,001SOUTH,South deal,Closed Won,100,2026-01-15,,South Co,,,,")

    report = run(data, lead_lena)

    assert report.errors == [(3, "AccountId 001SOUTH belongs to a client you have no access to.")]
    assert Client.objects.get(pk=oscars.pk).name == oscars.name
    assert not Client.objects.filter(external_id="001A").exists()


def test_lead_reimporting_a_sales_reps_prospect_is_refused(lead_lena, sales_sam):
    assert run(csv_bytes(SF_ROWS[0]), sales_sam).applied
    before = state()
    report = run(csv_bytes(SF_ROWS[0]), lead_lena)
    # One deal-receiving service for the form, the API and this import: the same deal sent again by
    # someone else is refused with the API's answer (the deal is checked before its client).
    assert report.errors == [(2, "A handoff for this deal id already exists and was sent by someone else.")]
    assert state() == before
    assert Handoff.objects.get().created_by == sales_sam


def test_admin_reimporting_a_sales_reps_file_changes_nothing(admin_ada, sales_sam):
    assert run(SF_FILE, sales_sam).applied
    before = state()
    report = run(SF_FILE, admin_ada)
    assert report.applied
    assert state() == before
    assert [r.handoff_action for r in report.rows] == ["unchanged", "none", "unchanged"]


# --- HubSpot ------------------------------------------------------------------------------------------------

HS_HEADER = "Record ID,Deal Name,Deal Stage,Amount,Close Date,Associated Company,Deal owner"


def test_hubspot_deals_export(lead_lena):
    data = csv_bytes(
        "9001,Acme platform,closedwon,120000,2026-01-15 09:30,Acme GmbH,",
        "9002,Beta pilot,appointmentscheduled,5000,2026-02-01,Beta AG,",
        "9003,Acme add-on,closedwon,3000,2026-01-20,Acme GmbH,",
        header=HS_HEADER,
    )

    report = run(data, lead_lena)

    assert report.applied, report.errors
    assert report.source == "hubspot"
    assert [(r.client_action, r.handoff_action) for r in report.rows] == [
        ("created", "created"),
        ("skipped", "none"),  # Beta has only an open deal: no client
        ("unchanged", "expansion"),  # Acme's handoff is pending: the add-on deal rides along as an expansion
    ]
    acme = Client.objects.get(name="Acme GmbH")
    assert acme.external_id == "hubspot-company:acme-gmbh"
    handoff = Handoff.objects.get(deal_external_id="9001")
    assert (handoff.client, handoff.close_date, handoff.deal_amount) == (acme, dt.date(2026, 1, 15), Decimal("120000"))

    before = state()
    assert [r.client_action for r in run(data, lead_lena).rows] == ["unchanged", "skipped", "unchanged"]
    assert state() == before


# --- files that are not exports ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "not a CSV"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "Save As > CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "not a CSV"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not a CSV"),
        (bytes(range(256)) * 4, "not a CSV"),
        (b"\x81\x8d\x8f\x90\x9d", "not UTF-8"),
        (b"Hello, this is a letter.\nKind regards\n", "Expected a Salesforce Data Loader"),
        (b"Name\x07,Stage\x01\n", "not a CSV"),
        (b"Id,AccountId,Name,StageName,Amount,OwnerId,Account.Name\n", "CloseDate"),
        (b"Record ID,Deal Name,Deal Stage,Amount\n", "Close Date"),
        (b'Id,"AccountId\n', "Unreadable CSV header"),
    ],
)
def test_a_file_that_is_not_an_export_gives_a_clear_error(lead_lena, data, fragment):
    report = run(data, lead_lena)
    assert not report.ok
    assert len(report.errors) == 1
    line, message = report.errors[0]
    assert line in {0, 1}
    assert fragment in message
    assert state() == (0, 0, 0, 0)


def test_missing_columns_are_all_named(lead_lena):
    report = run(b"Id,Name,Amount\n006A,Deal,1\n", lead_lena)
    assert report.errors == [
        (1, "Missing column(s) AccountId, StageName, CloseDate, Account.Name for a Salesforce export.")
    ]


def test_header_only_file_imports_nothing(lead_lena):
    report = run(csv_bytes(), lead_lena)
    assert report.applied
    assert report.rows == []


# --- HTML flow ------------------------------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "opportunities.csv", **extra):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("clients:sales_import"), {"file": file, **extra})


def test_upload_preview_then_confirm(client, lead_lena, team_north):
    client.force_login(lead_lena)
    assert client.get(reverse("clients:sales_import")).status_code == 200

    preview = upload(client, SF_FILE, to_team=team_north.pk)

    assert preview.status_code == 200
    assert preview.context["report"].dry_run
    assert preview.context["report"].summary["handoffs_created"] == 2
    token = preview.context["token"]
    assert token and token in preview.content.decode()
    assert state() == (0, 0, 0, 0)

    applied = client.post(reverse("clients:sales_import"), {"token": token})

    assert applied.status_code == 302
    assert applied.url == reverse("clients:handoffs")
    assert Client.objects.count() == 2  # the account with only an open deal is not a client
    assert set(Handoff.objects.values_list("deal_external_id", "to_team")) == {
        ("006A", team_north.pk),
        ("006C", team_north.pk),
    }
    # The token is spent: posting it again does not import twice.
    again = client.post(reverse("clients:sales_import"), {"token": token})
    assert again.status_code == 200
    assert "expired" in again.content.decode()
    assert Handoff.objects.count() == 2


def test_preview_with_bad_rows_offers_no_token(client, lead_lena):
    client.force_login(lead_lena)
    response = upload(client, csv_bytes("006A,001A,Deal,Closed Won,abc,2026-01-15,,Acme,,,,"))
    assert response.status_code == 200
    assert response.context["token"] is None
    assert "Line 2: Amount &#x27;abc&#x27; is not a number." in response.content.decode()


def test_binary_upload_is_answered_with_a_message(client, lead_lena):
    client.force_login(lead_lena)
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="logo.png")
    assert response.status_code == 200
    assert "not a CSV" in response.content.decode()


def test_token_of_another_user_is_useless(client, lead_lena, admin_ada):
    client.force_login(lead_lena)
    token = upload(client, SF_FILE).context["token"]
    client.force_login(admin_ada)
    response = client.post(reverse("clients:sales_import"), {"token": token})
    assert response.status_code == 200
    assert state() == (0, 0, 0, 0)


def test_confirmation_reaching_another_worker_still_imports(client, lead_lena):
    """The preview lives in the database: a worker with an empty memory (here: a cleared cache) finds it."""
    from django.core.cache import cache

    client.force_login(lead_lena)
    token = upload(client, SF_FILE).context["token"]
    cache.clear()

    applied = client.post(reverse("clients:sales_import"), {"token": token})

    assert applied.status_code == 302
    assert Handoff.objects.count() == 2


def test_a_preview_expires_after_half_an_hour(lead_lena):
    from django.utils import timezone

    from clients import services
    from clients.models import ImportPreview

    saved_at = timezone.now()
    token = services.import_preview_save(by=lead_lena, data=SF_FILE, to_team=None, to_am=None, now=saved_at)

    assert services.import_preview_get(by=lead_lena, token=token, now=saved_at + dt.timedelta(minutes=29))
    assert services.import_preview_get(by=lead_lena, token=token, now=saved_at + dt.timedelta(minutes=31)) is None
    # Expired previews (the uploaded file) do not pile up: the next save removes them.
    services.import_preview_save(
        by=lead_lena, data=b"x", to_team=None, to_am=None, now=saved_at + dt.timedelta(hours=1)
    )
    assert not ImportPreview.objects.filter(token=token).exists()


def test_file_over_the_upload_limit_is_a_form_error(client, lead_lena, settings):
    settings.MAX_IMPORT_UPLOAD_BYTES = 1024
    client.force_login(lead_lena)
    big = csv_bytes(*[f"006{n},001{n},Deal {n},Prospecting,1,2026-01-15,,Co {n},,,," for n in range(100)])
    assert len(big) > 4096

    response = upload(client, big)

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert "limit is 1.0\xa0KB" in errors[0]
    assert response.context["report"] is None
    assert state() == (0, 0, 0, 0)


def test_account_manager_gets_403(client, am_alice):
    client.force_login(am_alice)
    assert client.get(reverse("clients:sales_import")).status_code == 403
    assert upload(client, SF_FILE).status_code == 403
    assert state() == (0, 0, 0, 0)


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("clients:sales_import"))
    assert response.status_code == 302
    assert reverse("login") in response.url


# --- management command ------------------------------------------------------------------------------------------


@pytest.fixture
def export_file(tmp_path):
    path = tmp_path / "opportunities.csv"
    path.write_bytes(SF_FILE)
    return path


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_sales_csv", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_as_the_given_user_into_a_team(export_file, lead_lena, sales_sam, team_north):
    out, _ = command(export_file, "--user", "lead_lena", "--team", "North")

    assert "3 rows" in out
    assert "2 clients created" in out
    assert "2 handoffs created" in out
    assert Handoff.objects.filter(to_team=team_north, created_by=lead_lena).count() == 2
    assert Client.objects.get(external_id="001A").sales_owner == sales_sam

    out, _ = command(export_file, "--user", "lead_lena", "--team", "North")
    assert "2 unchanged, 1 accounts skipped" in out
    assert Handoff.objects.count() == 2


def test_command_dry_run_writes_nothing(export_file, lead_lena):
    out, _ = command(export_file, "--dry-run", "--user", "lead_lena")
    assert "Dry run" in out
    assert "2 clients created" in out
    assert state() == (0, 0, 0, 0)


def test_command_defaults_to_an_admin(export_file, admin_ada):
    command(export_file)
    assert Handoff.objects.filter(created_by=admin_ada).count() == 2


def test_command_prints_every_bad_line_and_exits_1(tmp_path, lead_lena):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes(SF_ROWS[0], "006B,001B,Bad,Closed Won,abc,2026-01-15,,B,,,,", "006C,,C,Closed Won,1,x,,C,,,,")
    )
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as exc_info:
        call_command("import_sales_csv", str(path), "--user", "lead_lena", stdout=out, stderr=err)

    assert exc_info.value.returncode == 1
    assert err.getvalue().splitlines() == [
        "Line 3: Amount 'abc' is not a number.",
        "Line 4: Date 'x' is not YYYY-MM-DD or MM/DD/YYYY; AccountId is empty.",
    ]
    assert "2 errors." in out.getvalue()
    assert "Nothing was imported" in str(exc_info.value)
    assert state() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--user", "nobody"], "No active user 'nobody'"),
        (["--user", "lead_lena", "--team", "Atlantis"], "No team 'Atlantis' (teams: North)"),
    ],
)
def test_command_refuses_bad_options(export_file, lead_lena, am_alice, args, fragment):
    with pytest.raises(CommandError) as exc_info:
        command(export_file, *args)
    assert fragment in str(exc_info.value)
    assert state() == (0, 0, 0, 0)


def test_command_as_an_account_manager_is_refused(export_file, am_alice):
    err = io.StringIO()
    with pytest.raises(CommandError) as exc_info:
        call_command("import_sales_csv", str(export_file), "--user", "am_alice", stdout=io.StringIO(), stderr=err)
    assert exc_info.value.returncode == 1
    assert err.getvalue() == "Your role cannot import sales exports.\n"
    assert state() == (0, 0, 0, 0)


def test_command_refuses_a_missing_file(tmp_path, admin_ada):
    with pytest.raises(CommandError, match="Cannot read"):
        command(tmp_path / "nope.csv")


def test_command_without_any_admin_asks_for_a_user(export_file, lead_lena):
    with pytest.raises(CommandError, match="--user"):
        command(export_file)


def test_unclosed_quote_is_reported_where_the_row_starts_not_swallowed(lead_lena):
    data = csv_bytes(SF_ROWS[0], '006B,001B,"Beta,Closed Won,100,2026-01-15,,Beta AG,,,,', SF_ROWS[1], SF_ROWS[2])
    report = run(data, lead_lena)
    assert len(report.errors) == 1
    line, message = report.errors[0]
    assert line == 3
    assert "unclosed quote" in message
    assert state() == (0, 0, 0, 0)


def test_dos_end_of_file_mark_is_tolerated(lead_lena):
    assert run(csv_bytes(SF_ROWS[0]) + b"\x1a", lead_lena).applied
    assert Client.objects.filter(external_id="001A").exists()


def test_hubspot_companies_with_long_or_non_latin_names_stay_apart(lead_lena):
    data = csv_bytes(
        "1,Deal 1,closedwon,1,2026-01-15,International Business Machines Corporation Germany,",
        "2,Deal 2,closedwon,1,2026-01-15,International Business Machines Corporation France,",
        "3,Deal 3,closedwon,1,2026-01-15,株式会社トヨタ,",
        "4,Deal 4,closedwon,1,2026-01-15,Газпром,",
        header=HS_HEADER,
    )
    report = run(data, lead_lena)
    assert report.applied, report.errors
    assert [r.client_action for r in report.rows] == ["created"] * 4
    ids = list(Client.objects.values_list("external_id", flat=True))
    assert len(set(ids)) == 4
    assert all(len(i) <= 64 for i in ids)


def test_hubspot_without_record_ids_is_still_idempotent(lead_lena):
    long_name = "A deal name that is long enough to overflow any id column " * 2
    data = csv_bytes(
        f"{long_name},closedwon,100,2026-01-15,A company with a rather long name indeed GmbH & Co. KG",
        header="Deal Name,Deal Stage,Amount,Close Date,Associated Company",
    )
    first = run(data, lead_lena)
    assert first.applied, first.errors
    before = state()
    second = run(data, lead_lena)
    assert [(r.client_action, r.handoff_action) for r in second.rows] == [("unchanged", "unchanged")]
    assert state() == before


def test_hubspot_company_ids_column_uses_the_primary_company(lead_lena):
    data = csv_bytes(
        "1,Deal 1,closedwon,1,2026-01-15,Acme GmbH,771;772",
        header="Record ID,Deal Name,Deal Stage,Amount,Close Date,Associated Company,Associated Company IDs",
    )
    assert run(data, lead_lena).applied
    assert Client.objects.get().external_id == "771"


# --- what sales meant (issue 20) ---------------------------------------------------------------------------


def test_an_ambiguous_slashed_date_with_no_stated_order_refuses_the_file_naming_the_rows(lead_lena):
    data = csv_bytes(
        "006A,001A,Acme platform,Closed Won,100,03/04/2026,,Acme GmbH,,,,",
        "006B,001B,Beta platform,Closed Won,100,05/06/2026,,Beta AG,,,,",
        "006C,001C,Gamma platform,Closed Won,100,07/07/2026,,Gamma Ltd,,,,",  # the same either way
    )

    report = run(data, lead_lena)

    assert [line for line, _ in report.errors] == [2, 3]
    assert "03 April or 04 March" in report.errors[0][1]
    assert state() == (0, 0, 0, 0)


@pytest.mark.parametrize(("order", "expected"), [("dmy", dt.date(2026, 4, 3)), ("mdy", dt.date(2026, 3, 4))])
def test_the_uploader_states_the_date_order(lead_lena, order, expected):
    report = run(
        csv_bytes("006A,001A,Acme platform,Closed Won,100,03/04/2026,,Acme GmbH,,,,"), lead_lena, date_order=order
    )

    assert report.applied, report.errors
    assert Handoff.objects.get().close_date == expected


def test_the_file_reveals_its_date_order_through_its_unambiguous_dates(lead_lena):
    data = csv_bytes(
        "006A,001A,Acme platform,Closed Won,100,03/04/2026,,Acme GmbH,,,,",
        "006B,001B,Beta platform,Closed Won,100,25/04/2026,,Beta AG,,,,",  # day first: 25 is no month
    )

    report = run(data, lead_lena)

    assert report.applied, report.errors
    assert Handoff.objects.get(deal_external_id="006A").close_date == dt.date(2026, 4, 3)


def test_a_file_mixing_both_date_orders_is_refused(lead_lena):
    data = csv_bytes(
        "006A,001A,Acme platform,Closed Won,100,03/04/2026,,Acme GmbH,,,,",
        "006B,001B,Beta platform,Closed Won,100,25/04/2026,,Beta AG,,,,",
        "006C,001C,Gamma platform,Closed Won,100,04/25/2026,,Gamma Ltd,,,,",
    )

    report = run(data, lead_lena)

    assert [line for line, _ in report.errors] == [2]  # undecidable; the unambiguous ones still read
    assert state() == (0, 0, 0, 0)


def test_upper_case_data_loader_headers_and_the_description_byte_exact(lead_lena):
    """Data Loader up to v60 writes headers in capitals; the description survives quoting and lines."""
    description = 'Fleet of 40, "priority" boats first,\nthen the rest; ёлка 渔船 Müller'
    quoted = '"' + description.replace('"', '""') + '"'
    data = csv_bytes(
        f"006A,001A,Acme platform,Closed Won,100,2026-01-15,,Acme GmbH,{quoted}",
        header="ID,ACCOUNTID,NAME,STAGENAME,AMOUNT,CLOSEDATE,OWNERID,ACCOUNT.NAME,DESCRIPTION",
    )

    report = run(data, lead_lena)

    assert report.applied, report.errors
    handoff = Handoff.objects.get()
    assert (handoff.deal_name, handoff.description) == ("Acme platform", description)


def test_hubspot_internal_property_names_are_read_like_the_labels(lead_lena):
    data = csv_bytes(
        "9001,Acme platform,closedwon,120000,2026-01-15,Acme GmbH,42,EUR",
        "9002,Beta pilot,closedlost,5000,2026-02-01,Beta AG,43,EUR",
        header="hs_object_id,dealname,dealstage,amount,closedate,associatedcompanyname,associatedcompanyid,deal_currency_code",
    )

    report = run(data, lead_lena)

    assert report.applied, report.errors
    assert report.source == "hubspot"
    assert [(r.client_action, r.handoff_action) for r in report.rows] == [("created", "created"), ("skipped", "none")]
    assert list(Client.objects.values_list("external_id", flat=True)) == ["42"]


def test_a_lost_deal_of_a_known_client_still_updates_it_but_creates_nothing(lead_lena):
    run(csv_bytes("006A,001A,Acme platform,Closed Won,100,2026-01-15,,Acme GmbH,,,Berlin,"), lead_lena)

    report = run(csv_bytes("006L,001A,Acme add-on,Closed Lost,100,2026-02-15,,Acme GmbH,,,Munich,"), lead_lena)

    assert [(r.client_action, r.handoff_action) for r in report.rows] == [("updated", "none")]
    assert Client.objects.get().city == "Munich"
    assert Handoff.objects.count() == 1
