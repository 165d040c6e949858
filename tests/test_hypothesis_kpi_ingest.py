"""Property tests for KPI ingestion with malformed rows: kpis.ingest.validate_rows, the batch API
(POST /api/v1/kpis/values/) and the CSV import behind ``manage.py import_kpis`` (COPY on PostgreSQL, row by row
elsewhere).

Whatever the rows: no exception and no 500; a batch or file with any bad row writes nothing (all or nothing)
and names the bad rows; a clean one is stored exactly, and sending it again changes nothing. Each example runs
in a savepoint that is rolled back, so examples do not see each other's data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kpis import csv_import as kpi_csv
from kpis import ingest
from kpis.models import Metric, MetricValue
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=80,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the checkout; failures print their reproducing example
    derandomize=True,  # the same examples on every run: CI stays deterministic
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

TODAY = timezone.localdate()
EXTERNAL_IDS = ["ACME-1", "ACME-2", "ACME-3"]
METRICS = ["orders", "revenue"]
URL = "/api/v1/kpis/values/"


@pytest.fixture
def accounts(am_alice):
    return [ClientFactory(owner=am_alice, team=am_alice.team, external_id=ext) for ext in EXTERNAL_IDS]


def stored() -> list[tuple]:
    return list(
        MetricValue.objects.order_by("client_id", "metric_id", "date").values_list(
            "client_id", "metric_id", "date", "value"
        )
    )


def isolated(fn):
    with transaction.atomic():
        result = fn()
        transaction.set_rollback(True)
    return result


# --- rows: good ones, and every way a field can be wrong -----------------------------------------------------------

good_dates = st.dates(min_value=TODAY - dt.timedelta(days=400), max_value=TODAY)
# Orders and revenue are valid from 0 (their range, kpis 0002); a negative one is a bad value.
good_values = st.one_of(
    st.integers(min_value=0, max_value=10**12),
    st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
)


@st.composite
def good_row(draw, account_ids: list[int]) -> dict:
    client = draw(st.one_of(st.sampled_from(account_ids), st.sampled_from(EXTERNAL_IDS)))
    return {
        "client": client,
        "metric": draw(st.sampled_from(METRICS)),
        "date": draw(good_dates).isoformat(),
        "value": draw(good_values),
    }


not_objects = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.just("\x00"),
    st.lists(st.integers(), max_size=2),
)
junk = st.one_of(not_objects, st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
bad_client = st.one_of(
    junk, st.just(10**9), st.just(2**63), st.just(-1), st.sampled_from(["NOPE", "acme-1", " ", "ACME-1\x00"])
)
bad_metric = st.one_of(junk, st.sampled_from(["Orders", "unknown", "orders\x00", ""]))
bad_date = st.one_of(
    junk,
    st.sampled_from(
        [
            "1999-12-31",
            (TODAY + dt.timedelta(days=5)).isoformat(),
            "2026-02-30",
            "2026-13-01",
            "yesterday",
            "01/02/2026",
        ]
    ),
)
bad_value = st.one_of(
    st.none(), st.booleans(), st.text(max_size=10), st.just(1e16), st.just(-1e300), st.lists(st.integers(), max_size=2),
    st.integers(min_value=-(10**12), max_value=-1),  # below the metric's valid range
)  # fmt: skip


@st.composite
def bad_row(draw, account_ids: list[int]) -> object:
    how = draw(st.sampled_from(["client", "metric", "date", "value", "missing", "not an object"]))
    if how == "not an object":
        return draw(not_objects)
    row = draw(good_row(account_ids))
    if how == "missing":
        del row[draw(st.sampled_from(sorted(row)))]
    else:
        row[how] = draw({"client": bad_client, "metric": bad_metric, "date": bad_date, "value": bad_value}[how])
    return row


@st.composite
def batches(draw, account_ids: list[int]) -> tuple[list, bool]:
    """(rows, clean): a list of rows, clean when no row is bad and no (client, metric, date) repeats."""
    good = draw(st.lists(good_row(account_ids), max_size=12))
    bad = draw(st.lists(bad_row(account_ids), max_size=3))
    rows = good + bad
    rows = draw(st.permutations(rows)) if rows else rows
    ext_to_pk = dict(zip(EXTERNAL_IDS, account_ids, strict=True))
    keys = [(ext_to_pk.get(r["client"], r["client"]), r["metric"], r["date"]) for r in good]
    return rows, not bad and len(keys) == len(set(keys))


def _expected(rows: list[dict], account_ids: list[int]) -> set[tuple]:
    ext_to_pk = dict(zip(EXTERNAL_IDS, account_ids, strict=True))
    metric_ids = dict(Metric.objects.values_list("key", "pk"))
    return {
        (ext_to_pk.get(r["client"], r["client"]), metric_ids[r["metric"]], dt.date.fromisoformat(r["date"]),
         float(r["value"]))
        for r in rows
    }  # fmt: skip


# --- validate_rows -------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.data())
def test_validate_rows_sorts_every_row_into_parsed_or_errors_and_never_raises(accounts, data):
    ids = [a.pk for a in accounts]
    rows, clean = data.draw(batches(ids))
    extra_bad = data.draw(st.lists(st.one_of(junk, st.floats(), bad_row(ids)), max_size=3))  # NaN and inf too
    rows = rows + extra_bad
    parsed, errors = ingest.validate_rows(rows)
    bad_indexes = [e["row"] for e in errors]
    assert len(bad_indexes) == len(set(bad_indexes))
    assert len(parsed) + len(errors) == len(rows)
    assert all(0 <= i < len(rows) and e["errors"] for i, e in zip(bad_indexes, errors, strict=True))
    for client_id, metric_id, day, value in parsed:
        assert isinstance(client_id, int) and isinstance(metric_id, int) and isinstance(day, dt.date)
        assert math.isfinite(value) and abs(value) <= 1e15
    if clean and not extra_bad:
        assert not errors and set(parsed) == _expected(rows, ids)


# --- the batch API -------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(data=st.data())
def test_the_api_takes_a_batch_whole_or_not_at_all_and_never_answers_500(accounts, admin_ada, data):
    ids = [a.pk for a in accounts]
    rows, clean = data.draw(batches(ids))
    wrapped = data.draw(st.booleans())
    body = json.dumps({"rows": rows} if wrapped else rows)
    http = HttpClient()
    http.force_login(admin_ada)

    def check():
        before = stored()
        # A sudden outlier (20x the client's median) is held for review instead of written.
        parsed, _ = ingest.validate_rows(rows)
        keep, held = ingest.split_outliers(parsed) if clean else ([], [])
        response = http.post(URL, body, content_type="application/json")
        assert response.status_code in {200, 400}, response.content[:300]
        answer = response.json()
        assert answer["received"] == len(rows)
        if not clean:
            event("refused")
            assert response.status_code == 400 and answer["errors"] and answer["written"] == 0
            assert stored() == before, "a batch with a bad row must write nothing"
            return
        event("accepted")
        assert response.status_code == 200, answer
        now = {(c, m, d): v for c, m, d, v in stored()}
        assert set(keep) | {h[:4] for h in held} == _expected(rows, ids)
        assert {(c, m, d, now[(c, m, d)]) for c, m, d, _ in keep} == set(keep)
        assert answer.get("quarantined", 0) == len(held)
        again = http.post(URL, body, content_type="application/json")
        assert again.status_code == 200 and again.json()["written"] == 0, "the same batch twice changes nothing"

    isolated(check)


@PROPERTY_SETTINGS
@given(body=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode), junk.map(json.dumps)))
def test_the_api_answers_any_body_with_a_clear_400_or_200(accounts, admin_ada, body):
    http = HttpClient()
    http.force_login(admin_ada)

    def check():
        before = stored()
        response = http.post(URL, body, content_type="application/json")
        assert response.status_code in {200, 400}, response.content[:300]
        assert response["Content-Type"] == "application/json"
        if response.status_code == 400:
            assert stored() == before
            assert response.json()["errors"]

    isolated(check)


def test_an_oversized_batch_is_a_clear_413_not_a_500(accounts, admin_ada, settings):
    """DATA_UPLOAD_MAX_MEMORY_SIZE bounds the request body: the API says so in JSON."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    http = HttpClient()
    http.force_login(admin_ada)
    rows = [{"client": "ACME-1", "metric": "orders", "date": TODAY.isoformat(), "value": n} for n in range(200)]
    response = http.post(URL, json.dumps(rows), content_type="application/json")
    assert response.status_code == 413
    assert "larger than the limit of 4.0 KB" in response.json()["detail"]
    assert stored() == []


# --- the CSV import (manage.py import_kpis) ------------------------------------------------------------------------

csv_junk = st.one_of(
    st.text(max_size=20).map(lambda t: t.replace("\x00", "")),
    st.sampled_from(["", " ", "NaN", "Infinity", "-inf", "1e400", "1,5", "12abc", '"', "yesterday", "2026-1-5"]),
    st.sampled_from(["01/02/2026", "20260102", "2026-02-30", "9999-12-31", "1999-12-31", "ACME-1\n", "x,y"]),
)


@st.composite
def csv_lines(draw) -> list[list[str]]:
    """Good lines, and lines where one cell went wrong (or all four)."""
    good = draw(
        st.lists(
            st.builds(
                lambda client, metric, day, value: [client, metric, day.isoformat(), str(value)],
                st.sampled_from(EXTERNAL_IDS),
                st.sampled_from(METRICS),
                good_dates,
                good_values,
            ),
            max_size=10,
        )
    )
    bad = []
    spoilt = draw(st.sampled_from([0, 0, 1, 2]))
    for line in draw(
        st.lists(st.sampled_from(good or [["ACME-1", "orders", TODAY.isoformat(), "1"]]), max_size=spoilt)
    ):
        cell = draw(st.integers(min_value=0, max_value=3))
        bad.append([draw(csv_junk) if i == cell else v for i, v in enumerate(line)])
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        bad.append(draw(st.lists(csv_junk, min_size=4, max_size=4)))
    lines = good + bad
    return draw(st.permutations(lines)) if lines else lines


@PROPERTY_SETTINGS
@given(lines=csv_lines(), newline=st.sampled_from(["\n", "\r\n"]), dry_run=st.booleans())
def test_the_csv_import_is_all_or_nothing_and_agrees_with_the_api_rules(accounts, tmp_path, lines, newline, dry_run):
    """On PostgreSQL the file goes through COPY and set-based SQL: it must refuse exactly what the API's row
    validation refuses (same dates, numbers, clients, metrics, repeated rows), and never raise."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(["client_external_id", "metric", "date", "value"])
    writer.writerows(lines)
    path = tmp_path / "kpis.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    records = [dict(zip(("client", "metric", "date", "value"), line, strict=True)) for line in lines]
    records = [r for r in records if any(v.strip() for v in r.values())]  # blank lines are skipped

    def run(**options):
        with kpi_csv.open_text(str(path)) as stream:  # as manage.py import_kpis opens it
            return kpi_csv.import_kpi_csv(stream, **options)

    def check():
        before = stored()
        parsed, errors = ingest.validate_rows(records, text_values=True)
        kept = ingest.split_outliers(parsed)[0] if not errors else []  # sudden outliers are held, not written
        result = run(dry_run=dry_run)  # must not raise
        assert result.ok == (not errors), (result.errors, errors)
        if not result.ok:
            event("refused")
            assert result.errors and result.error_count >= len(result.errors)
            assert stored() == before, "a file with a bad line must write nothing"
            return
        event("imported")
        if dry_run:
            assert stored() == before
            return
        now = {(c, m, d): v for c, m, d, v in stored()}
        assert all(now[(c, m, d)] == v for c, m, d, v in kept)
        again = run()
        assert again.ok and again.written == 0, "the same file twice changes nothing"

    isolated(check)


@PROPERTY_SETTINGS
@given(
    header=st.lists(
        st.sampled_from(["client_external_id", "client_id", "metric", "date", "value", "Value", "extra", ""]),
        max_size=6,
    )
)
def test_a_bad_csv_header_is_a_clear_file_error(accounts, header):
    text = ",".join(header) + "\nACME-1,orders,2026-01-01,1\n"

    def check():
        before = stored()
        try:
            kpi_csv.import_kpi_csv(io.StringIO(text), dry_run=True)
        except kpi_csv.KpiFileError as exc:
            assert str(exc)
        assert stored() == before

    isolated(check)
