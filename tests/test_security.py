"""Authentication and request hardening, through the real pages: brute-force lock-out (django-axes), session
expiry, CSRF on every form, API token revocation, password validators, security headers and CSP."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests import test_authorization as walk
from users import services as user_services

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory
world = walk.world  # the authorization walk's objects (one of everything per team), as a fixture here too


def _login(http: HttpClient, username: str, password: str, **extra):
    return http.post("/accounts/login/", {"username": username, "password": password}, **extra)


# --- brute force -----------------------------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_login_even_for_the_right_one(am_alice):
    http = HttpClient()
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5  # the documented default (README, AXES_FAILURE_LIMIT)
    for attempt in range(limit - 1):
        response = _login(http, "am_alice", f"wrong-{attempt}")
        assert response.status_code == 200, attempt
        assert "did not match" in response.content.decode()
    locking = _login(http, "am_alice", "wrong-last")
    assert locking.status_code == 429
    assert "Too many failed log-ins" in locking.content.decode()

    after = _login(http, "am_alice", PASSWORD)
    assert after.status_code == 429, "the right password must not get through a lock-out"
    assert "_auth_user_id" not in http.session
    assert http.get("/clients/").status_code == 302  # still anonymous


def test_the_lockout_honours_the_configured_limit_and_is_per_user_and_address(settings, am_alice, am_bob):
    settings.AXES_FAILURE_LIMIT = 2
    attacker = HttpClient(REMOTE_ADDR="10.9.8.7")
    assert _login(attacker, "am_alice", "nope").status_code == 200
    assert _login(attacker, "am_alice", "nope").status_code == 429
    # Alice herself, from her own address, is not locked out by someone guessing elsewhere...
    assert _login(HttpClient(REMOTE_ADDR="192.0.2.10"), "am_alice", PASSWORD).status_code == 302
    # ...and another account from the attacker's address is judged on its own.
    assert _login(HttpClient(REMOTE_ADDR="10.9.8.7"), "am_bob", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(settings, am_alice):
    settings.AXES_FAILURE_LIMIT = 2
    http = HttpClient()
    _login(http, "am_alice", "nope")
    assert _login(http, "am_alice", "nope").status_code == 429
    # Time passes (moved in the database rather than waited for): the cool-off is AXES_COOLOFF_TIME hours.
    long_ago = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    AccessAttempt.objects.update(attempt_time=long_ago)
    assert _login(http, "am_alice", PASSWORD).status_code == 302
    assert http.get("/clients/").status_code == 200


def test_a_successful_login_resets_the_failure_count(settings, am_alice):
    settings.AXES_FAILURE_LIMIT = 3
    http = HttpClient()
    _login(http, "am_alice", "nope")
    _login(http, "am_alice", "nope")
    assert _login(http, "am_alice", PASSWORD).status_code == 302
    http.post("/accounts/logout/")
    _login(http, "am_alice", "nope")
    _login(http, "am_alice", "nope")
    assert _login(http, "am_alice", PASSWORD).status_code == 302, "earlier failures must not count after a success"


# --- sessions --------------------------------------------------------------------------------------------------------


def test_the_session_lasts_session_cookie_age_and_then_ends(am_alice):
    http = HttpClient()
    before = timezone.now()
    response = _login(http, "am_alice", PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert cookie["httponly"]
    session = Session.objects.get(session_key=cookie.value)
    lifetime = session.expire_date - before
    assert dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5) <= lifetime
    assert lifetime <= dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 5)
    assert http.get("/clients/").status_code == 200

    # The age passes (moved in the database rather than waited for): the same cookie no longer signs in.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    expired = http.get("/clients/")
    assert expired.status_code == 302 and expired["Location"].startswith("/accounts/login/")


def test_a_shorter_configured_age_is_what_the_cookie_gets(settings, am_alice):
    settings.SESSION_COOKIE_AGE = 600
    response = _login(HttpClient(), "am_alice", PASSWORD)
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 600


def test_logging_out_ends_the_session_on_the_server(am_alice):
    http = HttpClient()
    response = _login(http, "am_alice", PASSWORD)
    key = response.cookies[settings.SESSION_COOKIE_NAME].value
    http.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    stolen = HttpClient()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = key
    assert stolen.get("/clients/").status_code == 302


# --- CSRF ------------------------------------------------------------------------------------------------------------


def _csrf_token(http: HttpClient, url: str) -> str:
    page = http.get(url)
    assert page.status_code == 200, url
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert match, f"{url} has a form without a CSRF token"
    return match.group(1)


def test_the_login_form_needs_its_csrf_token(am_alice):
    http = HttpClient(enforce_csrf_checks=True)
    refused = _login(http, "am_alice", PASSWORD)
    assert refused.status_code == 403
    assert "_auth_user_id" not in http.session
    token = _csrf_token(http, "/accounts/login/")
    accepted = http.post(
        "/accounts/login/", {"username": "am_alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 302


def _html_post_routes(world):
    """Every page of the walk that takes a POST, with a URL on Alice's team's objects."""
    for route in walk.routes():
        rule = walk.RULES.get(route.name or "")
        if route.is_api or rule is None or "POST" not in rule.methods:
            continue
        target = next(iter(rule.cases))
        objects = world[target]
        yield route.name, route.url({name: objects[rule.params[name]].pk for name in route.params})


def test_every_form_refuses_a_post_without_the_csrf_token(world, admin_ada):
    """As an admin (allowed everywhere), each POST without a token is refused before the view runs."""
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(admin_ada)
    routes = list(_html_post_routes(world))
    assert len(routes) >= 30
    refused = {name: http.post(url, {}).status_code for name, url in routes}
    assert {name: status for name, status in refused.items() if status != 403} == {}


def test_a_form_with_its_token_goes_through(world, am_alice):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(am_alice)
    client = world["north"]["client"]
    url = f"/clients/{client.pk}/interactions/new/"
    token = _csrf_token(http, url)
    response = http.post(
        url,
        {
            "csrfmiddlewaretoken": token,
            "kind": "call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Checked the renewal",
            "sentiment": "neutral",
        },
    )
    assert response.status_code == 302
    assert client.interactions.filter(summary="Checked the renewal").exists()


def test_the_api_needs_csrf_with_a_session_but_not_with_a_token(am_alice):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(am_alice)
    body = {"name": "Session Client"}
    refused = http.post("/api/v1/clients/", body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = user_services.api_token_rotate(user=am_alice)
    tool = HttpClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")
    created = tool.post("/api/v1/clients/", {"name": "Token Client"}, content_type="application/json")
    assert created.status_code == 201, created.content


# --- API tokens ------------------------------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_at_once(am_alice):
    page = HttpClient(enforce_csrf_checks=True)
    page.force_login(am_alice)
    token = _csrf_token(page, "/accounts/api-token/")
    created = page.post("/accounts/api-token/", {"action": "rotate", "csrfmiddlewaretoken": token})
    key = Token.objects.get(user=am_alice).key
    assert key in created.content.decode()  # shown once, on creation
    tool = HttpClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert tool.get("/api/v1/clients/").status_code == 200

    token = _csrf_token(page, "/accounts/api-token/")
    page.post("/accounts/api-token/", {"action": "revoke", "csrfmiddlewaretoken": token})
    refused = tool.get("/api/v1/clients/")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"
    assert not Token.objects.filter(user=am_alice).exists()


def test_rotating_the_token_revokes_the_old_one(am_alice):
    old = user_services.api_token_rotate(user=am_alice).key
    new = user_services.api_token_rotate(user=am_alice).key
    assert old != new
    assert HttpClient(HTTP_AUTHORIZATION=f"Token {old}").get("/api/v1/clients/").status_code == 401
    assert HttpClient(HTTP_AUTHORIZATION=f"Token {new}").get("/api/v1/clients/").status_code == 200


def test_a_deactivated_users_token_stops_working(am_alice):
    key = user_services.api_token_rotate(user=am_alice).key
    am_alice.is_active = False
    am_alice.save(update_fields=["is_active"])
    assert HttpClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/clients/").status_code == 401


# --- passwords -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("4815162342000", "entirely numeric"),
        ("am_alice_2026", "too similar"),
    ],
)
def test_weak_passwords_are_refused(am_alice, password, complaint):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=am_alice)
    assert any(complaint in message for message in refused.value.messages), refused.value.messages


def test_the_password_change_page_applies_the_validators(am_alice):
    http = HttpClient()
    http.force_login(am_alice)
    weak = http.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "password123", "new_password2": "password123"},
    )
    assert weak.status_code == 200
    assert "too common" in weak.content.decode()
    am_alice.refresh_from_db()
    assert am_alice.check_password(PASSWORD)
    strong = http.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Kettle-Orbit-47-Lantern",
            "new_password2": "Kettle-Orbit-47-Lantern",
        },
    )
    assert strong.status_code == 302
    am_alice.refresh_from_db()
    assert am_alice.check_password("Kettle-Orbit-47-Lantern")


# --- headers ---------------------------------------------------------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("url", ["/accounts/login/", "/clients/", "/api/v1/clients/"])
def test_pages_carry_the_security_headers_and_a_strict_csp(am_alice, url):
    http = HttpClient()
    if url != "/accounts/login/":
        http.force_login(am_alice)
    response = http.get(url)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"], "no inline script, no eval, no CDN"
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "Content-Security-Policy-Report-Only" not in response


def test_pages_have_no_inline_script_or_style(world, am_alice, lead_lena):
    """What the CSP would block in the browser, caught here too: <script> without src (JSON data blocks are not
    executed, so they are fine), on* handlers, style= attributes."""
    pages = [
        "/clients/",
        f"/clients/{world['north']['client'].pk}/",
        "/flags/",
        "/handoffs/",
        "/follow-ups/",
        "/reviews/",
    ]
    for user in (am_alice, lead_lena):
        http = HttpClient()
        http.force_login(user)
        for url in [*pages, "/portfolio/" if user == lead_lena else "/my-day/"]:
            html = http.get(url, follow=True).content.decode()
            assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>\s*\S", html), (
                f"inline <script> on {url}"
            )
            assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler on {url}"
            assert not re.search(r"\sstyle\s*=", html), f"inline style attribute on {url}"
