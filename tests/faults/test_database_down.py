"""The database is unreachable: gunicorn answers 503 (JSON in the API's error shape under /api/, a plain
page elsewhere) with Retry-After, instead of a 500; and once PostgreSQL is back, pages work again.

The web app is a real gunicorn from the checkout; the database is a closed port of 127.0.0.1, or a
private PostgreSQL cluster that the test starts, stops and starts again (never the shared server).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.faults.conftest import (
    PG_BIN,
    PrivatePostgres,
    Service,
    app_env,
    free_port,
    manage,
    wait_until,
    web_server,
)


def get(url: str, headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def start_web(services: list, tmp_path, database_url: str) -> tuple[str, Service]:
    port = free_port()
    server = web_server(port, env=app_env(DATABASE_URL=database_url), log=tmp_path / "web.log", workers=1)
    services.append(server.start())

    def answers():
        assert server.alive(), server.log.read_text()[-3000:]
        try:
            return get(f"http://127.0.0.1:{port}/healthz")[0] in {200, 503}
        except OSError:
            return False

    wait_until(answers, timeout=60, what="gunicorn")
    return f"http://127.0.0.1:{port}", server


def assert_unavailable(base: str, log) -> None:
    status, headers, body = get(f"{base}/api/v1/clients/", {"Authorization": "Token x", "X-Request-ID": "db-down-1"})
    assert status == 503, body[:2000]
    assert headers["Content-Type"].startswith("application/json") and headers["Retry-After"] == "30"
    answer = json.loads(body)
    assert answer["error"]["code"] == "unavailable" and answer["error"]["message"] == answer["detail"]
    assert answer["request_id"] == headers["X-Request-ID"] == "db-down-1"

    status, headers, body = get(f"{base}/", {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"})
    assert status == 503 and headers["Content-Type"].startswith("text/html") and headers["Retry-After"] == "30"
    assert "temporarily unavailable" in body and "Traceback" not in body

    assert get(f"{base}/healthz")[0] == 503
    logged = log.read_text()
    assert "Service Unavailable: /api/v1/clients/" in logged and "[request_id=db-down-1]" in logged


def test_a_closed_database_port_is_a_503_not_a_500(services, tmp_path):
    base, server = start_web(services, tmp_path, f"postgres://postgres@127.0.0.1:{free_port()}/crm")
    assert_unavailable(base, server.log)


@pytest.mark.skipif(PG_BIN is None, reason="PostgreSQL server binaries are missing")
def test_postgres_stopped_then_started_again(services, tmp_path):
    postgres = PrivatePostgres(tmp_path)
    services.append(postgres)
    postgres.init()
    migrated = manage("migrate", "--noinput", env=app_env(DATABASE_URL=postgres.url))
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    base, server = start_web(services, tmp_path, postgres.url)
    assert get(f"{base}/healthz")[0] == 200

    postgres.stop()
    assert_unavailable(base, server.log)

    postgres.start()
    # The next request reconnects (conn_health_checks): no restart of the web app needed.
    status, _, body = get(f"{base}/api/v1/clients/", {"Authorization": "Token x"})
    assert status == 401 and json.loads(body)["error"]["code"] == "authentication_failed"
    assert get(f"{base}/healthz")[0] == 200
