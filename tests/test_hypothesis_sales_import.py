"""Property tests for the sales CSV import (clients/importers.py) with malformed files and rows.

Whatever the file: the import never raises; a file with any bad row writes nothing at all (no partial import)
and names the bad lines; a clean file is applied completely, and applying it again changes nothing; a dry run
never writes. Each example runs in a savepoint that is rolled back, so examples do not see each other's data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from clients.importers import import_sales_export
from clients.models import Client, Handoff

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=80,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout; failures print their reproducing example
    derandomize=True,  # the same examples on every run: CI stays deterministic
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

HEADER = [
    "Id", "AccountId", "Name", "StageName", "Amount", "CloseDate", "OwnerId", "Account.Name", "Account.Industry",
    "Account.Website", "Account.BillingCity", "Account.BillingCountry",
]  # fmt: skip

# --- valid cells ---------------------------------------------------------------------------------------------------

ids = st.from_regex(r"\A00[0-9A-Z]{4,10}\Z")
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40)
names = names.filter(lambda n: n.strip() and "\x00" not in n)
stages = st.sampled_from(["Closed Won", "closed won", "ClosedWon", "Negotiation/Review", "Prospecting", "Closed Lost"])
amounts = st.one_of(
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=0, max_value=10**9).map(lambda n: f"{n:,}"),
    st.just(""),
)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2035, 12, 31))
date_cells = st.one_of(dates.map(lambda d: d.isoformat()), dates.map(lambda d: d.strftime("%m/%d/%Y")))
owners = st.sampled_from(["005SAM", "005XXX", ""])


@st.composite
def good_rows(draw) -> list[str]:
    return [
        draw(ids),  # Id (the deal)
        draw(ids),  # AccountId
        draw(names),  # Name (the deal)
        draw(stages),
        draw(amounts),
        draw(date_cells),
        draw(owners),
        draw(names),  # Account.Name
        draw(st.sampled_from(["", "Retail", "Logistics"])),
        draw(st.sampled_from(["", "acme.example"])),
        draw(st.sampled_from(["", "Berlin", "Lyon"])),
        draw(st.sampled_from(["", "Germany", "France"])),
    ]


# --- how a row goes bad ----------------------------------------------------------------------------------------------

bad_amounts = st.sampled_from(
    ["abc", "-5", "1e400", "12,34,5,", "NaN", "inf", "∞", "EUR", "1.2.3", "--1", "9" * 40, "12 000 000 000 000 000"]
)
bad_dates = st.sampled_from(["2026-13-40", "31/31/2026", "yesterday", "2026-02-30", "0000-00-00", "99999-01-01", "1.1"])


@st.composite
def broken_rows(draw) -> list[str]:
    row = draw(good_rows())
    how = draw(st.sampled_from(["amount", "date", "deal_id", "account_id", "deal_name", "account_name", "cells"]))
    if how == "amount":
        row[4] = draw(bad_amounts)
    elif how == "date":
        row[5] = draw(bad_dates)
    elif how == "deal_id":
        row[0] = draw(st.sampled_from(["", "   "]))
    elif how == "account_id":
        row[1] = draw(st.sampled_from(["", " "]))
    elif how == "deal_name":
        row[2] = ""
    elif how == "account_name":
        row[7] = ""
    else:  # too few cells: the required ones at the end are missing
        row = row[: draw(st.integers(min_value=1, max_value=4))]
    return row


def to_csv(rows: list[list[str]], *, newline: str = "\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def database_state() -> tuple:
    """Everything an import may write: clients, handoffs and their audit rows, with their content."""
    return (
        tuple(Client.objects.order_by("pk").values_list("pk", "name", "external_id", "status", "version")),
        tuple(Handoff.objects.order_by("pk").values_list("pk", "deal_external_id", "deal_amount", "version")),
        Client.history.count(),
        Handoff.history.count(),
    )


def isolated(fn):
    """Run one example in a savepoint that is rolled back afterwards."""
    with transaction.atomic():
        result = fn()
        transaction.set_rollback(True)
    return result


# --- the properties --------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(
    good=st.lists(good_rows(), min_size=0, max_size=6),
    bad=st.lists(broken_rows(), min_size=1, max_size=3),
    position=st.integers(min_value=0, max_value=6),
)
def test_one_bad_row_means_nothing_is_imported(lead_lena, sales_sam, good, bad, position):
    rows = [*good[:position], *bad, *good[position:]]
    data = to_csv(rows)

    def check():
        before = database_state()
        report = import_sales_export(data=data, by=lead_lena, dry_run=False)
        assert not report.ok and not report.applied
        assert report.errors, "a bad row must be reported"
        assert all(line >= 2 for line, _ in report.errors), report.errors  # by line number (header is line 1)
        assert all(message.strip() for _, message in report.errors)
        assert database_state() == before, "a file with bad rows must not write anything"

    isolated(check)


@PROPERTY_SETTINGS
@given(rows=st.lists(good_rows(), min_size=1, max_size=8), newline=st.sampled_from(["\n", "\r\n"]))
def test_a_clean_file_is_applied_whole_and_a_second_run_changes_nothing(lead_lena, sales_sam, rows, newline):
    data = to_csv(rows, newline=newline)

    def check():
        before = database_state()
        dry = import_sales_export(data=data, by=lead_lena, dry_run=True)
        assert database_state() == before, "a dry run must not write"
        report = import_sales_export(data=data, by=lead_lena, dry_run=False)
        event("applied" if report.ok else "refused as a whole")
        if not report.ok:
            # A clean-looking file can still be refused as a whole (e.g. one deal id on two accounts): then
            # nothing is written, exactly as for a bad row.
            assert database_state() == before
            assert dry.errors == report.errors
            return
        assert report.applied and dry.ok
        assert dry.summary == report.summary, "the dry run predicts the real run"
        # Accounts with a closed-won deal become clients; those with only lost or open deals do not.
        accounts = {row[1].strip() for row in rows}
        won = {row[1].strip() for row in rows if row[3].strip().lower() in {"closed won", "closedwon"}}
        assert set(Client.objects.filter(external_id__in=accounts).values_list("external_id", flat=True)) == won
        after = database_state()
        again = import_sales_export(data=data, by=lead_lena, dry_run=False)
        assert again.ok
        assert database_state() == after, "the same file twice must change nothing"
        assert again.summary["clients_created"] == again.summary["handoffs_created"] == 0

    isolated(check)


@PROPERTY_SETTINGS
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(st.lists(st.text(max_size=20), max_size=14), max_size=6).map(
            lambda rows: "\n".join(",".join(cells) for cells in rows).encode("utf-8", "surrogatepass")
        ),
        st.lists(st.lists(st.text(max_size=20), max_size=14), max_size=6).map(
            lambda rows: to_csv(rows)  # the right header, then anything
        ),
    ),
    dry_run=st.booleans(),
)
def test_any_bytes_at_all_never_raise_and_never_half_import(lead_lena, data, dry_run):
    def check():
        before = database_state()
        report = import_sales_export(data=data, by=lead_lena, dry_run=dry_run)  # must not raise
        if dry_run or not report.ok:
            assert database_state() == before
        if not report.ok:
            assert report.errors and all(isinstance(line, int) and message for line, message in report.errors)

    isolated(check)


def test_the_upload_page_refuses_a_file_over_the_limit_with_a_clear_message(client, lead_lena, settings):
    """Upload size limit (MAX_IMPORT_UPLOAD_BYTES): a clear form error, nothing read or written."""
    settings.MAX_IMPORT_UPLOAD_BYTES = 2048
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(lead_lena)
    big = to_csv([["006A", "001A", "Deal", "Closed Won", "1", "2026-01-01", "", "X" * 3000, "", "", "", ""]])
    before = database_state()
    response = client.post("/imports/sales/", {"file": SimpleUploadedFile("export.csv", big, "text/csv")})
    assert response.status_code == 200
    assert "the limit is 2.0" in response.content.decode()
    assert database_state() == before
