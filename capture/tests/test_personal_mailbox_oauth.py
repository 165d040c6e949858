"""My mailbox signed in with OAuth (Gmail, Microsoft 365), against real servers started by the test: a token
endpoint and Dovecot accepting XOAUTH2 only for tokens that endpoint issued. The flow with PKCE and state, the
tokens sealed, a refresh when the access token expires, and the refusals."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse

from capture import imap
from capture.models import CapturedMessage, PersonalMailbox
from capture.oauth import pkce_pair
from capture.tests.dovecot import DOVECOT, PrivateDovecot
from capture.tests.mail import message
from core.sealed import unseal
from tests.factories import ClientFactory, ContactFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not DOVECOT.exists(), reason="Dovecot is not installed (apt-get install dovecot-imapd)"),
]
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


class Provider:
    """A token endpoint (RFC 6749) and an introspection endpoint (RFC 7662) for Dovecot, on 127.0.0.1."""

    def __init__(self):
        self.codes: dict[str, str] = {}  # code -> PKCE challenge
        self.live_tokens: set[str] = set()
        self.requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                provider.requests.append({"path": self.path, **form})
                status, answer = provider.answer(self.path, form)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, form: dict) -> tuple[int, dict]:
        if path == "/introspect":
            return 200, {"active": form.get("token") in self.live_tokens, "username": "alice@ourco.example"}
        if form.get("client_secret") != "app-secret":
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") == "authorization_code":
            import base64
            import hashlib

            challenge = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge is None or challenge != expected:
                return 400, {"error": "invalid_grant"}
            self.live_tokens.add("access-1")
            return 200, {"access_token": "access-1", "refresh_token": "refresh-1", "expires_in": 3600}
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") != "refresh-1":
                return 400, {"error": "invalid_grant"}
            self.live_tokens = {"access-2"}  # the old access token expired
            return 200, {"access_token": "access-2", "expires_in": 3600}
        return 400, {"error": "unsupported_grant_type"}

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def provider(settings):
    server = Provider()
    settings.CAPTURE_OAUTH_PROVIDERS = {
        "testmail": {
            "label": "Testmail", "authorize_url": f"{server.url}/authorize", "token_url": f"{server.url}/token",
            "scope": "mail", "imap_host": "127.0.0.1", "imap_port": 0, "imap_security": "plain",
            "client_id": "app-id", "client_secret": "app-secret",
        }
    }  # fmt: skip
    yield server
    server.stop()


@pytest.fixture
def dovecot(provider, settings):
    server = PrivateDovecot(oauth_introspection_url=f"{provider.url}/introspect").start()
    settings.CAPTURE_OAUTH_PROVIDERS["testmail"]["imap_port"] = server.port
    yield server
    server.destroy()


def _sign_in(client, provider) -> str:
    """Start the flow, then play the provider's consent page: issue a code for the challenge we were sent."""
    start = client.post(
        reverse("capture:personal_mailbox_oauth_start"),
        {"provider": "testmail", "email": "alice@ourco.example", "consent": "on"},
    )
    assert start.status_code == 302
    sent = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    assert start["Location"].startswith(f"{provider.url}/authorize?")
    assert sent["code_challenge_method"] == "S256" and sent["client_id"] == "app-id"
    assert sent["redirect_uri"] == "http://testserver/my-mailbox/oauth/callback/"
    provider.codes["code-1"] = sent["code_challenge"]
    return sent["state"]


def test_sign_in_reads_mail_and_refreshes_the_token(client, am_alice, provider, dovecot):
    acme = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team)
    ContactFactory(client=acme, first_name="Dora", email="dora@acme.example")
    client.force_login(am_alice)
    with time_machine.travel(START, tick=False):
        state = _sign_in(client, provider)
        back = client.get(reverse("capture:personal_mailbox_oauth_callback"), {"code": "code-1", "state": state})
        assert back.status_code == 302
        assert [str(m) for m in back.wsgi_request._messages] == [
            "Mailbox connected: new mail with your clients' contacts will be filed."
        ]
        mailbox = PersonalMailbox.objects.get(user=am_alice)
        assert (mailbox.oauth_provider, mailbox.password_sealed) == ("testmail", "")
        assert "refresh-1" not in mailbox.refresh_token_sealed and unseal(mailbox.refresh_token_sealed) == "refresh-1"

        dovecot.append(message(message_id="<n1@acme.example>", subject="First"), user="alice@ourco.example")
        assert imap.personal_mailboxes_poll().errors == []

    with time_machine.travel(START + dt.timedelta(hours=2), tick=False):
        dovecot.append(message(message_id="<n2@acme.example>", subject="Second"), user="alice@ourco.example")
        report = imap.personal_mailboxes_poll()  # access-1 is dead: the poller must refresh first
        assert report.errors == []
    assert sorted(CapturedMessage.objects.values_list("subject", flat=True)) == ["First", "Second"]
    assert [r["grant_type"] for r in provider.requests if r["path"] == "/token"] == [
        "authorization_code",
        "refresh_token",
    ]
    mailbox.refresh_from_db()
    assert unseal(mailbox.access_token_sealed) == "access-2"
    assert unseal(mailbox.refresh_token_sealed) == "refresh-1"  # kept: the provider did not rotate it


def test_a_callback_with_a_foreign_state_or_an_error_connects_nothing(client, am_alice, provider, dovecot):
    client.force_login(am_alice)
    _sign_in(client, provider)
    page = client.get(reverse("capture:personal_mailbox_oauth_callback"), {"code": "code-1", "state": "forged"})
    assert page.status_code == 302
    state = _sign_in(client, provider)
    client.get(reverse("capture:personal_mailbox_oauth_callback"), {"error": "access_denied", "state": state})
    assert not PersonalMailbox.objects.exists()
    assert not [r for r in provider.requests if r["path"] == "/token"]  # no code was ever exchanged


def test_a_withdrawn_sign_in_is_shown_to_its_owner(client, am_alice, provider, dovecot):
    client.force_login(am_alice)
    with time_machine.travel(START, tick=False):
        state = _sign_in(client, provider)
        client.get(reverse("capture:personal_mailbox_oauth_callback"), {"code": "code-1", "state": state})
    provider.answer = lambda path, form: (400, {"error": "invalid_grant"})  # the user revoked the app
    with time_machine.travel(START + dt.timedelta(hours=2), tick=False):
        imap.personal_mailboxes_poll()
    assert "connect the mailbox again" in PersonalMailbox.objects.get().last_error


def test_pkce_challenge_is_the_s256_of_the_verifier():
    import base64
    import hashlib

    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    assert challenge == base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
