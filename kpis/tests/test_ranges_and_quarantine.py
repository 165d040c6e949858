"""Valid ranges (refused, row named, batch all or nothing) and sudden outliers (held for review, not scored)."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.errors import ApplicationError
from kpis import ingest, services
from kpis.models import Metric, MetricValue, QuarantinedValue, QuarantineStatus
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/kpis/values/"
DAY = dt.date(2026, 11, 30)


@pytest.fixture
def api(admin_ada):
    client = APIClient()
    client.force_authenticate(admin_ada)
    return client


@pytest.fixture
def account(am_alice):
    return ClientFactory(owner=am_alice, team=am_alice.team, external_id="RANGE-1")


def _history(client, key="orders", value=50.0, days=30):
    metric = Metric.objects.get(key=key)
    ingest.upsert_values([(client.pk, metric.pk, DAY - dt.timedelta(days=d), value) for d in range(1, days + 1)])


def test_the_default_metrics_have_ranges_and_frequencies():
    by_key = {m.key: (m.min_value, m.max_value, m.frequency) for m in Metric.objects.all()}
    assert by_key["orders"] == (0, None, "daily")
    assert by_key["nps"] == (-100, 100, "monthly")
    assert by_key["satisfaction"] == (1, 10, "quarterly")


def test_api_refuses_values_outside_the_range_naming_the_row_and_writes_nothing(api, account):
    rows = [
        {"client": account.pk, "metric": "orders", "date": "2026-11-29", "value": 12},
        {"client": account.pk, "metric": "orders", "date": "2026-11-30", "value": -500},
        {"client": account.pk, "metric": "nps", "date": "2026-11-30", "value": 140},
    ]
    response = api.post(URL, rows, format="json")
    assert response.status_code == 400
    errors = {e["row"]: e["errors"] for e in response.json()["errors"]}
    assert errors == {
        1: {"value": "-500 is outside the valid range of Orders (at least 0)"},
        2: {"value": "140 is outside the valid range of NPS (-100 to 100)"},
    }
    assert MetricValue.objects.count() == 0  # the good row 0 is not written either


def test_csv_refuses_values_outside_the_range_naming_the_line_and_writes_nothing(tmp_path, account):
    path = tmp_path / "k.csv"
    path.write_text(
        "client_external_id,metric,date,value\n"
        "RANGE-1,orders,2026-11-29,12\n"
        "RANGE-1,satisfaction,2026-11-29,11\n"
        "RANGE-1,orders,2026-11-30,-1\n"
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 bad row"):
        call_command("import_kpis", str(path), "--no-rescore", stderr=err)
    assert "Line 3: value: 11 is outside the valid range of Satisfaction (1 to 10)" in err.getvalue()
    assert "Line 4: value: -1 is outside the valid range of Orders (at least 0)" in err.getvalue()
    assert MetricValue.objects.count() == 0


def test_an_admin_edited_range_applies_at_once(api, account):
    Metric.objects.filter(key="orders").update(max_value=1000)
    response = api.post(
        URL, [{"client": account.pk, "metric": "orders", "date": "2026-11-30", "value": 1001}], format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 0, "errors": {"value": "1001 is outside the valid range of Orders (0 to 1000)"}}
    ]


def test_a_sudden_outlier_is_quarantined_not_written_and_the_rest_of_the_batch_is(api, account, admin_ada):
    _history(account)
    rows = [
        {"client": account.pk, "metric": "orders", "date": "2026-11-30", "value": 1e12},
        {"client": account.pk, "metric": "revenue", "date": "2026-11-30", "value": 5000},
    ]
    response = api.post(URL, rows, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"received": 2, "written": 1, "quarantined": 1}
    held = QuarantinedValue.objects.get()
    assert (held.value, held.median, held.status) == (1e12, 50.0, QuarantineStatus.PENDING)
    assert not MetricValue.objects.filter(date=DAY, metric__key="orders").exists()  # scoring never sees it
    # The same batch again does not hold it twice.
    assert api.post(URL, rows, format="json").json()["quarantined"] == 1
    assert QuarantinedValue.objects.count() == 1

    services.quarantined_value_accept(item=held, by=admin_ada)
    assert MetricValue.objects.get(client=account, metric__key="orders", date=DAY).value == 1e12
    held.refresh_from_db()
    assert (held.status, held.decided_by) == (QuarantineStatus.ACCEPTED, admin_ada)
    with pytest.raises(ApplicationError, match="already"):
        services.quarantined_value_reject(item=held, by=admin_ada)


def test_rejected_outliers_stay_out(api, account, admin_ada):
    _history(account)
    api.post(URL, [{"client": account.pk, "metric": "orders", "date": "2026-11-30", "value": 5000}], format="json")
    services.quarantined_value_reject(item=QuarantinedValue.objects.get(), by=admin_ada)
    assert QuarantinedValue.objects.get().status == QuarantineStatus.REJECTED
    assert not MetricValue.objects.filter(date=DAY).exists()


def test_ordinary_values_are_not_outliers(api, account):
    _history(account, key="support_incidents", value=0.0)
    _history(account, value=50.0)
    rows = [
        {"client": account.pk, "metric": "support_incidents", "date": "2026-11-30", "value": 12},  # usually 0
        {"client": account.pk, "metric": "orders", "date": "2026-11-30", "value": 900},  # 18x the median
    ]
    assert api.post(URL, rows, format="json").json() == {"received": 2, "written": 2}
    assert not QuarantinedValue.objects.exists()


def test_without_history_nothing_is_judged(api, account):
    response = api.post(
        URL, [{"client": account.pk, "metric": "orders", "date": "2026-11-30", "value": 1e9}], format="json"
    )
    assert response.json() == {"received": 1, "written": 1}


def test_csv_quarantines_an_outlier_among_its_own_history(tmp_path, account):
    lines = [f"RANGE-1,orders,{(DAY - dt.timedelta(days=d)).isoformat()},40" for d in range(1, 20)]
    lines.append(f"RANGE-1,orders,{DAY.isoformat()},1000000000000")
    path = tmp_path / "k.csv"
    path.write_text("client_external_id,metric,date,value\n" + "\n".join(lines) + "\n")
    out = io.StringIO()
    call_command("import_kpis", str(path), "--no-rescore", stdout=out)
    assert "20 rows read, 19 values written" in out.getvalue()
    assert "1 sudden outlier(s) held for review" in out.getvalue()
    assert QuarantinedValue.objects.get().value == 1e12
    assert MetricValue.objects.count() == 19


def test_the_outlier_rule_is_pure():
    history = [
        (DAY - dt.timedelta(days=d), v) for d, v in zip(range(10, 0, -1), [3, 5, 4, 6, 5, 4, 5, 100, 5, 4], strict=True)
    ]
    median = ingest.outlier_reference(history, DAY)
    assert median == 5.0  # one earlier spike does not move the median
    assert ingest.is_outlier(101, median) and not ingest.is_outlier(100, median)
    assert ingest.outlier_reference(history[:4], DAY) is None  # too little to judge
    assert not ingest.is_outlier(19, 0.0)  # a usually-zero KPI: the floor is one unit


def test_admins_accept_or_reject_from_the_admin_list(api, account, admin_ada):
    _history(account)
    rows = [
        {"client": account.pk, "metric": "orders", "date": "2026-11-30", "value": 9000},
        {"client": account.pk, "metric": "revenue", "date": "2026-11-30", "value": 1e9},
    ]
    _history(account, key="revenue", value=5000.0)
    assert api.post(URL, rows, format="json").json()["quarantined"] == 2
    orders, revenue = (QuarantinedValue.objects.get(metric__key=key) for key in ("orders", "revenue"))
    from django.test import Client as Browser

    browser = Browser()
    browser.force_login(admin_ada)
    listing = browser.get("/admin/kpis/quarantinedvalue/?status__exact=pending")
    assert listing.status_code == 200 and "180×" in listing.content.decode()
    changelist = "/admin/kpis/quarantinedvalue/"
    browser.post(changelist, {"action": "accept", "_selected_action": [orders.pk]})
    browser.post(changelist, {"action": "reject", "_selected_action": [revenue.pk]})
    assert dict(QuarantinedValue.objects.values_list("metric__key", "status")) == {
        "orders": QuarantineStatus.ACCEPTED,
        "revenue": QuarantineStatus.REJECTED,
    }
    assert MetricValue.objects.get(client=account, metric__key="orders", date=DAY).value == 9000
    assert not MetricValue.objects.filter(client=account, metric__key="revenue", date=DAY).exists()
