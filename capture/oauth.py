"""OAuth 2.0 for an account manager's own mailbox (Gmail, Microsoft 365): the authorization-code flow with PKCE,
token refresh, and the XOAUTH2 string IMAP servers take instead of a password.

Providers come from settings.CAPTURE_OAUTH_PROVIDERS (built from the environment: a provider appears once its
client id and secret are set). The tokens are sealed at rest (core.sealed) by the services that store them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

TOKEN_TIMEOUT_SECONDS = 15


class OAuthError(Exception):
    """The provider refused or could not be reached; the message says so in words for the page."""


@dataclass(frozen=True)
class OAuthProvider:
    key: str
    label: str
    authorize_url: str
    token_url: str
    scope: str
    imap_host: str
    imap_port: int
    client_id: str
    client_secret: str
    imap_security: str = "ssl"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str  # "" when the provider kept the old one (a refresh)
    expires_at: dt.datetime


def providers() -> dict[str, OAuthProvider]:
    return {
        key: OAuthProvider(key=key, **values)
        for key, values in settings.CAPTURE_OAUTH_PROVIDERS.items()
        if values.get("client_id") and values.get("client_secret")
    }


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization_url(
    provider: OAuthProvider, *, state: str, challenge: str, redirect_uri: str, login_hint: str
) -> str:
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",  # Google: issue a refresh token
        "prompt": "consent",
        "login_hint": login_hint,
    }
    separator = "&" if "?" in provider.authorize_url else "?"
    return provider.authorize_url + separator + urllib.parse.urlencode(query)


def _token_request(provider: OAuthProvider, data: dict[str, str], *, now: dt.datetime) -> Tokens:
    body = urllib.parse.urlencode(
        {**data, "client_id": provider.client_id, "client_secret": provider.client_secret}
    ).encode()
    request = urllib.request.Request(
        provider.token_url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TOKEN_TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read() or b"{}").get("error", "")
        except ValueError:
            error = ""
        if error == "invalid_grant":
            raise OAuthError(_("The sign-in has expired or was withdrawn; connect the mailbox again.")) from exc
        raise OAuthError(
            _("%(provider)s refused the sign-in (%(error)s).")
            % {"provider": provider.label, "error": error or exc.code}
        ) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise OAuthError(_("%(provider)s cannot be reached right now.") % {"provider": provider.label}) from exc
    access = answer.get("access_token")
    if not access:
        raise OAuthError(_("%(provider)s gave no access token.") % {"provider": provider.label})
    lifetime = int(answer.get("expires_in") or 3600)
    return Tokens(access, answer.get("refresh_token", ""), now + dt.timedelta(seconds=lifetime))


def exchange_code(provider: OAuthProvider, *, code: str, verifier: str, redirect_uri: str, now: dt.datetime) -> Tokens:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    tokens = _token_request(provider, data, now=now)
    if not tokens.refresh_token:
        raise OAuthError(_("%(provider)s gave no refresh token; connect again.") % {"provider": provider.label})
    return tokens


def refresh_access(provider: OAuthProvider, *, refresh_token: str, now: dt.datetime) -> Tokens:
    return _token_request(provider, {"grant_type": "refresh_token", "refresh_token": refresh_token}, now=now)


def xoauth2(username: str, access_token: str) -> bytes:
    """The SASL XOAUTH2 initial response (Google's and Microsoft's IMAP)."""
    return f"user={username}\x01auth=Bearer {access_token}\x01\x01".encode()
