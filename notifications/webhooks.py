"""Outgoing webhooks, the parts without the database: the events, URL validation, the body, signing and the POST.

Signing (README "Webhooks"): ``X-CRM-Signature: sha256=<hex>``, the HMAC-SHA256 with the webhook's secret of
``<X-CRM-Timestamp> + "." + <raw body>``; the timestamp is Unix seconds at the moment of the attempt, so a
receiver can refuse old replays. ``X-CRM-Event-Id`` is the same on every attempt and every "send again": the
receiver's idempotency key.

Address checks: a URL may only name a public address unless ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` is on. The host
is resolved and *every* address it resolves to is checked, at registration and again at each send; the request is
then made to the address that passed the check (the Host header and TLS name stay the host's), so a DNS answer
that changes between the check and the connection (DNS rebinding) cannot point a delivery at an internal service.
Redirects are never followed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

USER_AGENT = "AccountsCRM-Webhooks/1"
PRIVATE_REFUSAL = gettext_lazy(
    "%(host)s resolves to %(address)s, a loopback, link-local or private address; webhooks only call public addresses."
)


class WebhookEvent(models.TextChoices):
    FLAG_OPENED = "flag.opened", gettext_lazy("Flag opened")
    FLAG_RESOLVED = "flag.resolved", gettext_lazy("Flag resolved")
    HANDOFF_SENT = "handoff.sent", gettext_lazy("Handoff sent")
    HANDOFF_ACCEPTED = "handoff.accepted", gettext_lazy("Handoff accepted")
    HANDOFF_RETURNED = "handoff.returned", gettext_lazy("Handoff returned")
    RENEWAL_STAGE_CHANGED = "renewal.stage_changed", gettext_lazy("Renewal stage changed")
    PLAYBOOK_STARTED = "playbook.started", gettext_lazy("Playbook started")
    PLAYBOOK_COMPLETED = "playbook.completed", gettext_lazy("Playbook completed")
    COMMITMENT_OVERDUE = "commitment.overdue", gettext_lazy("Commitment overdue")


class WebhookURLRefused(ValueError):
    """The URL names an address the product must not call (or cannot be resolved)."""


class WebhookHostUnresolved(WebhookURLRefused):
    """The host did not resolve: refused at registration, retried at send time (DNS may be back)."""


class WebhookHTTPError(Exception):
    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status = status


def _refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def resolve_checked(host: str, port: int) -> list[str]:
    """Every address of ``host``; refused if any of them is not public (unless the setting allows private ones)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookHostUnresolved(_("The host %(host)s cannot be resolved.") % {"host": host}) from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise WebhookHostUnresolved(_("The host %(host)s cannot be resolved.") % {"host": host})
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for raw in addresses:
            if _refused_address(ipaddress.ip_address(raw.split("%")[0])):
                raise WebhookURLRefused(str(PRIVATE_REFUSAL) % {"host": host, "address": raw})
    return addresses


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    """The parts of a webhook URL, or ``WebhookURLRefused`` for one the product does not call."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookURLRefused(_("This is not a valid URL.")) from exc
    if parts.scheme not in {"http", "https"}:
        raise WebhookURLRefused(_("Only http:// and https:// URLs can receive webhooks."))
    if not parts.hostname:
        raise WebhookURLRefused(_("The URL has no host."))
    if parts.username or parts.password:
        raise WebhookURLRefused(_("Put credentials in the secret, not in the URL."))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def validate_url(url: str) -> str:
    """For forms and serializers: the cleaned URL, or a ValidationError saying why it is refused."""
    try:
        target = parse_url(url)
        resolve_checked(target.host, target.port)
    except WebhookURLRefused as exc:
        raise ValidationError(str(exc), code="refused") from exc
    return url.strip()


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (the README shows the same in a few lines)."""
    return hmac.compare_digest(sign(secret=secret, timestamp=int(timestamp), body=body), signature)


def json_body(*, event: str, event_id: str, occurred_at: str, data: dict[str, Any]) -> str:
    return json.dumps(
        {"id": event_id, "event": event, "occurred_at": occurred_at, "data": data}, sort_keys=True, default=str
    )


def slack_body(*, event: str, event_id: str, text: str, url: str = "") -> str:
    """Slack / Mattermost incoming-webhook format: ``text`` (the fallback and notification) and ``blocks``."""
    label = str(WebhookEvent(event).label) if event in WebhookEvent.values else event
    section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    blocks: list[dict[str, Any]] = [section]
    if url:
        blocks.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": _("Open")}, "url": url}],
            }
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"{label} · {event_id}"}]})
    return json.dumps({"text": text, "blocks": blocks})


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, whatever the host resolves to by now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(*, url: str, secret: str, event: str, event_id: str, body: str, timestamp: int) -> int:
    """POST one delivery; returns the HTTP status of a 2xx answer, raises otherwise.

    ``WebhookURLRefused`` (not retried), ``WebhookHTTPError`` (retried for 408, 429 and 5xx) or ``OSError``
    (refused, reset, timed out: retried).
    """
    target = parse_url(url)
    address = resolve_checked(target.host, target.port)[0]
    payload = body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CRM-Event": event,
        "X-CRM-Event-Id": event_id,
        "X-CRM-Timestamp": str(timestamp),
        "X-CRM-Signature": sign(secret=secret, timestamp=timestamp, body=payload),
    }
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target.host, target.port, address=address, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", target.path, body=payload, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return response.status
    raise WebhookHTTPError(response.status, response.reason)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, WebhookHostUnresolved):
        return True
    if isinstance(exc, WebhookURLRefused):
        return False
    if isinstance(exc, WebhookHTTPError):
        return exc.status in {408, 425, 429} or exc.status >= 500
    return isinstance(exc, OSError | http.client.HTTPException)
