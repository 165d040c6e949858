"""Production settings: the hardened configuration passes Django's deployment checks."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Anything that could loosen the production defaults is left out (the browser tests' conftest sets
        # DJANGO_ALLOW_ASYNC_UNSAFE in this process); the database is kept.
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not key.startswith("SECURE_")
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="crm.example.com",
        DJANGO_SETTINGS_MODULE="accounts_crm.settings",
    )
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_in_production():
    env = _production_env()
    assert len(env["SECRET_KEY"]) == 64

    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_missing_or_short_secret_key():
    for key in ("", "too-short"):
        result = _manage("check", env=_production_env(SECRET_KEY=key))

        assert result.returncode != 0
        assert "SECRET_KEY must be set" in result.stderr


def test_production_defaults_are_hardened():
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.ALLOWED_HOSTS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "False True True True True ['crm.example.com']"


_HEADERS_SCRIPT = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
# collectstatic is not run in the test suite: serve {% static %} without the manifest (it has no bearing on headers).
plain_storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
settings.STORAGES = {**settings.STORAGES, "staticfiles": plain_storage}
client = Client(HTTP_HOST="crm.example.com")
plain = client.get("/accounts/login/")
page = client.get("/accounts/login/", secure=True)
csrf = page.cookies.get("csrftoken")
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "status": page.status_code,
    "headers": dict(page.headers),
    "csrf_secure": bool(csrf and csrf["secure"]),
    "csrf_httponly": bool(csrf and csrf["httponly"]),
}))
"""


def test_production_pages_send_hsts_security_headers_and_the_csp():
    result = subprocess.run(
        [sys.executable, "-c", _HEADERS_SCRIPT],
        cwd=BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # Plain HTTP is sent to HTTPS; the page itself comes over HTTPS with every header.
    assert seen["plain_status"] == 301
    assert seen["plain_location"] == "https://crm.example.com/accounts/login/"
    assert seen["status"] == 200
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = {part.split()[0]: part.split()[1:] for part in headers["Content-Security-Policy"].split("; ")}
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert seen["csrf_secure"] and seen["csrf_httponly"]
