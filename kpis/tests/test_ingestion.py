import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from health.models import HealthScore
from kpis.models import MetricValue
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/kpis/values/"


@pytest.fixture
def api(admin_ada):
    client = APIClient()
    client.force_authenticate(admin_ada)
    return client


@pytest.fixture
def accounts(am_alice):
    return [ClientFactory(owner=am_alice, team=am_alice.team, external_id=f"ACME-{i}") for i in range(3)]


def _rows(accounts, days=5):
    today = timezone.localdate()
    return [
        {
            "client": c.external_id if i % 2 else c.pk,
            "metric": "orders",
            "date": (today - dt.timedelta(days=d)).isoformat(),
            "value": 10 + d,
        }
        for i, c in enumerate(accounts)
        for d in range(days)
    ]


def test_batch_upserts_and_the_same_batch_twice_changes_nothing(api, accounts):
    rows = _rows(accounts)
    first = api.post(URL, {"rows": rows}, format="json")
    assert first.status_code == 200, first.content
    assert first.json() == {"received": 15, "written": 15}
    before = list(MetricValue.objects.order_by("pk").values_list("pk", "value", "updated_at"))
    again = api.post(URL, rows, format="json")  # a bare list works too
    assert again.json() == {"received": 15, "written": 0}
    assert list(MetricValue.objects.order_by("pk").values_list("pk", "value", "updated_at")) == before

    changed = [dict(rows[0], value=99)]
    assert api.post(URL, changed, format="json").json()["written"] == 1
    assert MetricValue.objects.count() == 15


def test_a_batch_rescores_the_affected_clients(api, accounts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post(URL, _rows(accounts[:1]), format="json")
    assert set(HealthScore.objects.values_list("client_id", flat=True)) == {accounts[0].pk}


def test_one_bad_row_rejects_the_batch_with_per_row_errors(api, accounts):
    rows = _rows(accounts, days=2)
    rows[1] = {"client": "UNKNOWN", "metric": "orders", "date": "2026-01-01", "value": 1}
    rows[2] = {"client": accounts[0].pk, "metric": "bananas", "date": "2026-01-01", "value": 1}
    rows[3] = {"client": accounts[0].pk, "metric": "orders", "date": "2026-02-30", "value": "12"}
    rows[4] = {"client": accounts[0].pk, "metric": "orders", "date": "01/02/2026", "value": True}
    response = api.post(URL, rows, format="json")
    assert response.status_code == 400
    errors = {e["row"]: e["errors"] for e in response.json()["errors"]}
    assert set(errors) == {1, 2, 3, 4}
    assert errors[1] == {"client": "no client with external id 'UNKNOWN'"}
    assert errors[2] == {"metric": "unknown metric 'bananas'"}
    assert set(errors[3]) == {"date", "value"}
    assert "not a valid date" in errors[4]["date"] and "true/false" in errors[4]["value"]
    assert MetricValue.objects.count() == 0


def test_duplicates_inside_a_batch_are_refused(api, accounts):
    row = {"client": accounts[0].pk, "metric": "orders", "date": "2026-01-01", "value": 1}
    response = api.post(URL, [row, dict(row, value=2)], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 1, "errors": {"row": "same client, metric and date as row 0"}}]


@pytest.mark.parametrize("payload", [{"rows": "nope"}, {"nothing": 1}, "text", [1, 2]])
def test_malformed_payloads_are_clear_400s(api, accounts, payload):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert MetricValue.objects.count() == 0


def test_batch_size_is_limited(api, accounts):
    rows = [{"client": accounts[0].pk, "metric": "orders", "date": "2026-01-01", "value": 1}] * 10_001
    response = api.post(URL, rows, format="json")
    assert response.status_code == 400
    assert "at most 10000 rows" in str(response.json())


def test_only_admins_push_values(am_alice, accounts):
    client = APIClient()
    client.force_authenticate(am_alice)
    assert client.post(URL, _rows(accounts), format="json").status_code == 403
    assert MetricValue.objects.count() == 0


def _csv(lines):
    return "client_external_id,metric,date,value\n" + "\n".join(lines) + "\n"


def test_import_kpis_command_is_idempotent_and_all_or_nothing(tmp_path, accounts):
    good = tmp_path / "good.csv"
    good.write_text(_csv([f"{a.external_id},orders,2026-11-0{d},{d}" for a in accounts for d in range(1, 4)]))
    out = io.StringIO()
    call_command("import_kpis", str(good), "--no-rescore", stdout=out)
    assert "9 rows read, 9 values written" in out.getvalue()
    out = io.StringIO()
    call_command("import_kpis", str(good), "--no-rescore", stdout=out)
    assert "9 rows read, 0 values written" in out.getvalue()

    bad = tmp_path / "bad.csv"
    bad.write_text(_csv([f"{accounts[0].external_id},orders,2026-10-01,5", "NOPE,orders,2026-10-02,x"]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_kpis", str(bad), "--no-rescore", stderr=err)
    assert err.getvalue().startswith("Line 3: client: no client")
    assert MetricValue.objects.count() == 9


def test_import_kpis_dry_run_and_bad_header(tmp_path, accounts):
    path = tmp_path / "k.csv"
    path.write_text(_csv([f"{accounts[0].external_id},orders,2026-10-01,5"]))
    call_command("import_kpis", str(path), "--dry-run", stdout=io.StringIO())
    assert MetricValue.objects.count() == 0
    path.write_text("who,what\n1,2\n")
    with pytest.raises(CommandError, match="expected the columns"):
        call_command("import_kpis", str(path))


def test_import_kpis_reports_repeated_rows(tmp_path, accounts):
    path = tmp_path / "dup.csv"
    row = f"{accounts[0].external_id},orders,2026-10-01"
    path.write_text(_csv([f"{row},5", f"{accounts[1].external_id},orders,2026-10-01,6", f"{row},7"]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_kpis", str(path), "--no-rescore", stderr=err)
    assert "Line 4: " in err.getvalue() and "line 2" in err.getvalue()
    assert MetricValue.objects.count() == 0


def test_import_kpis_by_client_id(tmp_path, accounts):
    path = tmp_path / "ids.csv"
    path.write_text("client_id,metric,date,value\n" + f"{accounts[0].pk},revenue,2026-10-01,1250.5\n")
    call_command("import_kpis", str(path), "--no-rescore", stdout=io.StringIO())
    assert MetricValue.objects.get().value == 1250.5
