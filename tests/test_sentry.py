"""Sentry is off without SENTRY_DSN (not even imported); with it, an exception in a view reaches the
Sentry server named by the DSN: here a small HTTP receiver on 127.0.0.1 started by the test."""

import gzip
import json
import os
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    env.update(DJANGO_SETTINGS_MODULE="accounts_crm.settings", LOG_LEVEL="CRITICAL", **extra)
    return env


def _python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


class Receiver:
    """Records every request the Sentry SDK sends (decompressed envelope bodies)."""

    def __init__(self):
        self.requests: list[tuple[str, str]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    raw = gzip.decompress(raw)
                elif encoding == "br":
                    import brotli

                    raw = brotli.decompress(raw)
                received.append((self.path, raw.decode("utf-8", "replace")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_without_a_dsn_sentry_is_not_even_imported():
    result = _python(
        "import sys, django; django.setup(); from accounts_crm.celery import app; print('sentry_sdk' in sys.modules)",
        _env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


PROBE = """
import django, sentry_sdk
django.setup()
from django.test import Client
from django.test.utils import override_settings
client = sentry_sdk.get_client()
print("ACTIVE", client.is_active(), sorted(client.integrations))
with override_settings(ROOT_URLCONF="tests.urls_errors"):
    response = Client(raise_request_exception=False).get(
        "/boom/?message={probe}", HTTP_COOKIE="sessionid=secret-cookie-value", HTTP_X_REQUEST_ID="req-sentry-1"
    )
print("STATUS", response.status_code, response["X-Request-ID"])
sentry_sdk.flush(timeout=10)
"""


def test_with_a_dsn_an_exception_in_a_view_reaches_the_sentry_server():
    probe = f"probe-{uuid.uuid4().hex}"
    with Receiver() as receiver:
        env = _env(
            SENTRY_DSN=f"http://publickey@127.0.0.1:{receiver.port}/42",
            SENTRY_ENVIRONMENT="ci-test",
            SENTRY_RELEASE="crm@1.2.3",
        )
        result = _python(PROBE.format(probe=probe), env)
        assert result.returncode == 0, result.stderr[-3000:]
    assert "ACTIVE True" in result.stdout and "'celery'" in result.stdout and "'django'" in result.stdout
    assert "STATUS 500 req-sentry-1" in result.stdout
    events = [body for path, body in receiver.requests if path == "/api/42/envelope/" and probe in body]
    assert events, f"no event with the probe among {[path for path, _ in receiver.requests]}"
    _header, *items = events[0].splitlines()
    event = json.loads(next(item for item in items if probe in item))
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "ProbeError" and exception["value"] == probe
    assert event["environment"] == "ci-test" and event["release"] == "crm@1.2.3"
    assert event["tags"]["request_id"] == "req-sentry-1"
    # send_default_pii=False: no cookies, no user IP address.
    assert "secret-cookie-value" not in events[0]
    assert "ip_address" not in json.dumps(event.get("user", {}))


def test_an_empty_dsn_is_off():
    result = _python("import sys, django; django.setup(); print('sentry_sdk' in sys.modules)", _env(SENTRY_DSN=""))
    assert result.stdout.strip() == "False", result.stderr
