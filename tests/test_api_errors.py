"""Every error under /api/ answers in one JSON shape (README, "REST API"):

{"error": {"code", "message", "fields"}, "detail": <message>, "request_id": <the X-Request-ID header>}
"""

import datetime as dt
import json

import pytest
from django.test import Client as HttpClient
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.api_errors import error_body_from_data


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"error", "detail", "request_id"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"] and body["detail"] == body["error"]["message"]
    assert body["request_id"] and body["request_id"] == response["X-Request-ID"]
    return body


@pytest.fixture
def alice_api(am_alice) -> APIClient:
    api = APIClient()
    api.force_authenticate(am_alice)
    return api


@pytest.mark.django_db
def test_validation_error_lists_the_fields(alice_api):
    body = assert_error(alice_api.post("/api/v1/clients/", {}, format="json"), 400, "invalid")
    assert "name" in body["error"]["fields"] and body["error"]["fields"]["name"][0]


@pytest.mark.django_db
def test_a_single_field_error_is_also_the_message(alice_api, alice_client):
    body = assert_error(
        alice_api.patch(f"/api/v1/clients/{alice_client.pk}/", {"name": "No version"}, format="json"), 400, "invalid"
    )
    assert list(body["error"]["fields"]) == ["version"]
    assert body["error"]["message"] == body["error"]["fields"]["version"][0]


@pytest.mark.django_db
def test_unauthenticated_and_bad_token_are_401_with_the_challenge(am_alice):
    anonymous = APIClient().get("/api/v1/clients/")
    assert_error(anonymous, 401, "not_authenticated")
    assert anonymous["WWW-Authenticate"] == "Token"
    bad = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token").get("/api/v1/clients/")
    assert_error(bad, 401, "authentication_failed")


@pytest.mark.django_db
def test_refused_action_is_403(alice_api):
    assert_error(alice_api.post("/api/v1/kpis/values/", [], format="json"), 403, "not_allowed")


@pytest.mark.django_db
def test_unknown_object_and_unknown_api_paths_are_json_404s(alice_api, am_alice):
    assert_error(alice_api.get("/api/v1/clients/999999/"), 404, "not_found")
    for path in ("/api/v1/nope", "/api/v1/nope/", "/api/v2/clients/", "/api/"):
        assert_error(alice_api.get(path), 404, "not_found")
    http = HttpClient()
    http.force_login(am_alice)
    page = http.get("/no-such-page/")  # outside the API a 404 stays an HTML page
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_wrong_method_is_405(alice_api):
    response = alice_api.post("/api/v1/health/scores/", {}, format="json")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.django_db
def test_stale_version_is_409(alice_api, alice_client):
    response = alice_api.patch(f"/api/v1/clients/{alice_client.pk}/", {"version": 99, "name": "X"}, format="json")
    assert_error(response, 409, "stale_version")


@pytest.mark.django_db
def test_oversized_body_is_413(admin_ada, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    api = APIClient()
    api.force_authenticate(admin_ada)
    rows = [{"client": "X", "metric": "orders", "date": "2026-01-01", "value": n} for n in range(100)]
    body = assert_error(api.post("/api/v1/kpis/values/", rows, format="json"), 413, "too_large")
    assert "larger than the limit" in body["error"]["message"]


@pytest.mark.django_db
def test_malformed_json_is_a_400_parse_error(alice_api):
    response = alice_api.post("/api/v1/clients/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.django_db
def test_kpi_batch_refusal_keeps_its_row_report_inside_the_shape(admin_ada):
    api = APIClient()
    api.force_authenticate(admin_ada)
    rows = [{"client": "NOPE", "metric": "orders", "date": dt.date.today().isoformat(), "value": 1}]
    body = assert_error(api.post("/api/v1/kpis/values/", rows, format="json"), 400, "invalid")
    assert body["received"] == 1 and body["written"] == 0 and body["errors"][0]["row"] is not None


@pytest.mark.django_db
def test_token_request_answers_with_the_same_shape(am_alice):
    token = Token.objects.create(user=am_alice)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert_error(api.get("/api/v1/clients/999999/"), 404, "not_found")


@pytest.mark.urls("tests.urls_errors")
def test_throttled_is_429_with_retry_after(db):
    response = APIClient().get("/api/v1/test-throttled/")
    assert_error(response, 429, "throttled")
    assert response["Retry-After"] == "42"


@pytest.mark.urls("tests.urls_errors")
def test_unexpected_exception_is_a_json_500_under_the_api_and_a_page_elsewhere(db):
    client = HttpClient(raise_request_exception=False)
    body = assert_error(client.get("/api/v1/test-boom/"), 500, "server_error")
    assert "api boom" not in json.dumps(body), "no internals leak into the answer"
    page = client.get("/boom/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


def test_error_bodies_in_every_older_shape_map_onto_the_one_shape():
    assert error_body_from_data(["Only this."], status=400)["error"] == {
        "code": "invalid", "message": "Only this.", "fields": {},
    }  # fmt: skip
    body = error_body_from_data({"non_field_errors": ["Both dates."], "end": ["Too early."]}, status=400)
    assert body["error"]["message"] == "Both dates." and body["error"]["fields"] == {"end": ["Too early."]}
    body = error_body_from_data({"a": ["x"], "b": ["y"]}, status=400)
    assert body["error"]["message"] == "Check these fields: a, b."
    body = error_body_from_data({"detail": "Gone.", "code": "stale_version"}, status=409, request_id="r1")
    assert body == {"error": {"code": "stale_version", "message": "Gone.", "fields": {}}, "detail": "Gone.",
                    "request_id": "r1"}  # fmt: skip
    assert error_body_from_data(None, status=418)["error"]["code"] == "i_m_a_teapot"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/documents/null,null/download/"),
        ("post", "/api/v1/playbook-runs/null,null/cancel/"),
        ("post", "/api/v1/playbook-runs/null,null/steps/0/skip/"),
        ("post", "/api/v1/playbook-runs/null,null/steps/0/complete/"),
    ],
)
def test_an_id_that_is_not_a_number_is_not_found(client, admin_ada, method, path):
    """Found by the fuzzer: these answered 500 (a ValueError) before using DRF's own object lookup."""
    client.force_login(admin_ada)
    response = getattr(client, method)(path, {"reason": "Not needed"}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
