"""The IMAP poller (imaplib): read new messages of the configured mailboxes and capture each exactly once.

Per mailbox the product remembers UIDVALIDITY and the last UID read (``MailboxState``). Each message is captured
and the mailbox moved past it in one transaction (``services.mailbox_message_capture``), so a poll cut off
anywhere (the server stops, the connection drops, the worker dies) leaves nothing half done: the next run
reconnects and goes on from the last UID, and a message captured twice anyway (a new UIDVALIDITY, the same
message in two mailboxes) is still one row, by its Message-ID. Messages are fetched with BODY.PEEK: the poller
never marks mail as read.

IMAP_URL: ``imaps://user:password@host[:port][/Mailbox]`` (``imap://`` for plain IMAP, ``imap+starttls://``);
user and password percent-encoded (``alice%40example.com``). IMAP_MAILBOXES overrides the mailbox list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import logging
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from capture import oauth, services
from capture.models import CaptureStatus, MailboxState, PersonalMailbox
from core.sealed import SealBroken, unseal

logger = logging.getLogger(__name__)

NETWORK_ERRORS = (imaplib.IMAP4.error, OSError, EOFError, ssl.SSLError, socket.timeout)


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    username: str
    password: str
    security: str  # "ssl", "starttls" or "plain"
    mailboxes: tuple[str, ...] = ("INBOX",)
    timeout: float = 30
    # An account manager's own mailbox (capture.PersonalMailbox): mail matching no client is not kept.
    personal_mailbox_id: int | None = None
    oauth_token: str = ""  # sign in with XOAUTH2 and this access token instead of the password

    @property
    def account(self) -> str:
        return f"{self.username}@{self.host}:{self.port}"


def config_from_url(url: str, *, mailboxes: list[str] | tuple[str, ...] = (), timeout: float = 30) -> ImapConfig:
    parts = urlsplit(url)
    security = {"imaps": "ssl", "imap": "plain", "imap+starttls": "starttls"}.get(parts.scheme)
    if security is None or not parts.hostname:
        raise ValueError("IMAP_URL must look like imaps://user:password@host[:port][/Mailbox]")
    path_box = unquote(parts.path.lstrip("/"))
    return ImapConfig(
        host=parts.hostname,
        port=parts.port or (993 if security == "ssl" else 143),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        security=security,
        mailboxes=tuple(mailboxes) or ((path_box,) if path_box else ("INBOX",)),
        timeout=timeout,
    )


def configured() -> ImapConfig | None:
    if not settings.IMAP_URL:
        return None
    return config_from_url(settings.IMAP_URL, mailboxes=settings.IMAP_MAILBOXES, timeout=settings.IMAP_TIMEOUT_SECONDS)


@dataclass
class PollReport:
    captured: int = 0  # new messages
    seen_before: int = 0  # their Message-ID was captured already
    failed: int = 0  # stored as failed (unreadable, too large)
    errors: list[str] = field(default_factory=list)


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    if config.security == "ssl":
        conn = imaplib.IMAP4_SSL(config.host, config.port, timeout=config.timeout)
    else:
        conn = imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
        if config.security == "starttls":
            conn.starttls(ssl.create_default_context())
    if config.oauth_token:
        conn.authenticate("XOAUTH2", lambda _challenge: oauth.xoauth2(config.username, config.oauth_token))
    else:
        conn.login(config.username, config.password)
    return conn


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(conn: imaplib.IMAP4, mailbox: str) -> int:
    _typ, data = conn.response("UIDVALIDITY")
    if not data or data[0] is None:
        _typ, data = conn.status(_quote(mailbox), "(UIDVALIDITY)")
    return int(re.search(rb"(\d+)", data[0]).group(1))


def _sizes(conn: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    _typ, data = conn.uid("FETCH", ",".join(map(str, uids)), "(RFC822.SIZE)")
    sizes = {}
    for item in data or []:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        uid, size = re.search(rb"UID (\d+)", line), re.search(rb"RFC822\.SIZE (\d+)", line)
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _fetch(conn: imaplib.IMAP4, uid: int, part: str) -> bytes | None:
    typ, data = conn.uid("FETCH", str(uid), f"(BODY.PEEK[{part}])")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH {uid} answered {typ}")
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None  # expunged since the search


def _poll_mailbox(conn, config: ImapConfig, mailbox: str, *, report: PollReport, limit: int, now, on_captured) -> None:
    typ, _data = conn.select(_quote(mailbox), readonly=True)
    if typ != "OK":
        raise imaplib.IMAP4.error(f"cannot open {mailbox}")
    uidvalidity = _uidvalidity(conn, mailbox)
    state = services.mailbox_state_open(account=config.account, mailbox=mailbox, uidvalidity=uidvalidity)
    try:
        _typ, data = conn.uid("SEARCH", None, f"UID {state.last_uid + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > state.last_uid)[:limit]
        sizes = _sizes(conn, uids) if uids else {}
        max_bytes = settings.CAPTURE_MAX_MESSAGE_BYTES
        for uid in uids:
            size = sizes.get(uid)
            raw = _fetch(conn, uid, "HEADER" if size and size > max_bytes else "")
            result = services.mailbox_message_capture(
                state=state, uid=uid, raw=raw, size=size, now=now, personal=config.personal_mailbox_id is not None
            )
            if result is not None:
                if not result.created:
                    report.seen_before += 1
                elif result.message.status == CaptureStatus.FAILED:
                    report.failed += 1
                else:
                    report.captured += 1
            if on_captured is not None:
                on_captured(uid)
    except NETWORK_ERRORS as exc:
        services.mailbox_poll_done(state=state, now=now, error=f"{type(exc).__name__}: {exc}")
        raise
    services.mailbox_poll_done(state=state, now=now)


def imap_poll(
    *,
    config: ImapConfig,
    now: dt.datetime | None = None,
    limit: int | None = None,
    on_captured: Callable[[int], None] | None = None,
) -> PollReport:
    """One poll of every configured mailbox; a network error ends the run (reported), the next run resumes.
    ``on_captured(uid)`` runs after each message is committed (tests use it to cut the connection mid-poll)."""
    now = now or timezone.now()
    limit = limit or settings.CAPTURE_IMAP_BATCH
    report = PollReport()
    try:
        conn = _connect(config)
    except NETWORK_ERRORS as exc:
        report.errors.append(f"connect: {type(exc).__name__}: {exc}")
        logger.warning("capture: cannot reach IMAP %s: %s", config.account, exc)
        return report
    try:
        for mailbox in config.mailboxes:
            try:
                _poll_mailbox(conn, config, mailbox, report=report, limit=limit, now=now, on_captured=on_captured)
            except NETWORK_ERRORS as exc:
                report.errors.append(f"{mailbox}: {type(exc).__name__}: {exc}")
                logger.warning("capture: IMAP poll of %s %s stopped: %s", config.account, mailbox, exc)
                if isinstance(exc, imaplib.IMAP4.abort | OSError | EOFError):
                    break  # the connection is gone; the next run reconnects
    finally:
        try:
            conn.logout()
        except (*NETWORK_ERRORS, AttributeError):
            pass
    return report


def personal_config(mailbox: PersonalMailbox, *, now: dt.datetime | None = None) -> ImapConfig:
    """How to read the mailbox; an OAuth mailbox gets a fresh access token when its own is about to expire.
    Raises SealBroken (keys rotated away) or oauth.OAuthError (the sign-in was withdrawn)."""
    token = ""
    if mailbox.oauth_provider:
        token = services.personal_mailbox_access_token(mailbox=mailbox, now=now or timezone.now())
    return ImapConfig(
        host=mailbox.host,
        port=mailbox.port,
        username=mailbox.username,
        password=unseal(mailbox.password_sealed) if mailbox.password_sealed else "",
        oauth_token=token,
        security=mailbox.security,
        mailboxes=(mailbox.mailbox or "INBOX",),
        timeout=settings.IMAP_TIMEOUT_SECONDS,
        personal_mailbox_id=mailbox.pk,
    )


@dataclass(frozen=True)
class Probe:
    problem: str  # "" when the login works, else what went wrong, in words for the form
    uidvalidity: int | None = None
    last_uid: int = 0  # the newest UID in the folder now: reading starts after it


def probe(config: ImapConfig) -> Probe:
    """Connect and sign in once, and note where the folder stands (UIDVALIDITY, UIDNEXT)."""
    try:
        conn = _connect(config)
    except imaplib.IMAP4.error:
        return Probe(_("The server refused this user name and password."))
    except (OSError, EOFError, ssl.SSLError) as exc:
        return Probe(
            _("Cannot reach %(host)s:%(port)s (%(error)s).")
            % {"host": config.host, "port": config.port, "error": type(exc).__name__}
        )
    try:
        mailbox = config.mailboxes[0]
        typ, data = conn.status(_quote(mailbox), "(UIDVALIDITY UIDNEXT)")
        if typ != "OK" or not data or data[0] is None:
            return Probe(_("The folder %(folder)s does not exist on this server.") % {"folder": mailbox})
        validity = re.search(rb"UIDVALIDITY (\d+)", data[0])
        uidnext = re.search(rb"UIDNEXT (\d+)", data[0])
        return Probe("", int(validity.group(1)) if validity else None, int(uidnext.group(1)) - 1 if uidnext else 0)
    except NETWORK_ERRORS as exc:
        return Probe(_("The server answered in a way we could not read (%(error)s).") % {"error": type(exc).__name__})
    finally:
        with contextlib.suppress(*NETWORK_ERRORS, AttributeError):
            conn.logout()


def personal_mailboxes_poll(*, now: dt.datetime | None = None) -> PollReport:
    """Poll every active personal mailbox once; a mailbox that fails keeps its error for its owner to see."""
    total = PollReport()
    for mailbox in PersonalMailbox.objects.filter(is_active=True).order_by("pk"):
        try:
            config = personal_config(mailbox, now=now)
        except SealBroken:
            services.personal_mailbox_poll_done(
                mailbox=mailbox, now=now, error=_("The saved password can no longer be read; enter it again.")
            )
            continue
        except oauth.OAuthError as exc:
            services.personal_mailbox_poll_done(mailbox=mailbox, now=now, error=str(exc))
            continue
        report = imap_poll(config=config, now=now)
        services.personal_mailbox_poll_done(mailbox=mailbox, now=now, error="; ".join(report.errors)[:500])
        total.captured += report.captured
        total.seen_before += report.seen_before
        total.failed += report.failed
        total.errors += [f"{mailbox}: {error}" for error in report.errors]
    return total


def mailbox_states() -> list[MailboxState]:
    return list(MailboxState.objects.order_by("account", "mailbox"))


# --- IDLE (RFC 2177): new mail is read within seconds instead of at the next poll ----------------------------

IDLE_MAX_SECONDS = 25 * 60  # servers may drop an IDLE after 30 minutes; renew before that
RECONNECT_BACKOFF_SECONDS = (1, 2, 5, 15, 60)


def _supports_idle(conn: imaplib.IMAP4) -> bool:
    return "IDLE" in getattr(conn, "capabilities", ())


def _readable(conn: imaplib.IMAP4, timeout: float) -> bool:
    """Whether the server sent something within ``timeout`` (select on the socket, minding TLS buffers)."""
    sock = conn.socket()
    pending = getattr(sock, "pending", None)
    if pending is not None and pending():
        return True
    readable, _writable, _failed = select.select([sock], [], [], timeout)
    return bool(readable)


def idle_wait(conn: imaplib.IMAP4, *, timeout: float, stop: threading.Event | None = None) -> bool:
    """Enter IDLE on the selected mailbox until the server announces new mail, ``timeout`` passes or ``stop`` is
    set; leave IDLE (DONE) and read the tagged answer. True when new mail was announced."""
    tag = conn._new_tag()
    conn.send(tag + b" IDLE\r\n")
    line = conn.readline()
    while line.startswith(b"*"):  # untagged data the server had queued before it answered
        line = conn.readline()
    if not line.startswith(b"+"):
        raise imaplib.IMAP4.error(f"IDLE refused: {line!r}")
    announced = False
    deadline = time.monotonic() + timeout
    while not announced and (stop is None or not stop.is_set()):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if _readable(conn, min(left, 1.0)):  # wake each second to notice ``stop``
            line = conn.readline()
            if not line:
                raise EOFError("the IMAP server closed the connection during IDLE")
            announced = b"EXISTS" in line or b"RECENT" in line
    conn.send(b"DONE\r\n")
    while True:
        line = conn.readline()
        if not line:
            raise EOFError("the IMAP server closed the connection after IDLE")
        if line.startswith(tag):
            return announced


def imap_idle_loop(
    *,
    config: ImapConfig,
    stop: threading.Event,
    idle_seconds: float = IDLE_MAX_SECONDS,
    on_idle: Callable[[], None] | None = None,
    on_report: Callable[[PollReport], None] | None = None,
) -> None:
    """Keep one connection: read what is new in the first mailbox, IDLE until the server announces mail, read
    again; reconnect with back-off when the connection drops. Servers without IDLE are polled every
    CAPTURE_IMAP_POLL_SECONDS. Runs until ``stop`` is set (``manage.py capture_idle``)."""
    mailbox = config.mailboxes[0]
    failures = 0
    while not stop.is_set():
        try:
            conn = _connect(config)
        except NETWORK_ERRORS as exc:
            logger.warning("capture: IDLE cannot reach %s: %s", config.account, exc)
            stop.wait(RECONNECT_BACKOFF_SECONDS[min(failures, len(RECONNECT_BACKOFF_SECONDS) - 1)])
            failures += 1
            continue
        try:
            while not stop.is_set():
                report = PollReport()
                _poll_mailbox(
                    conn, config, mailbox, report=report, limit=settings.CAPTURE_IMAP_BATCH, now=None, on_captured=None
                )
                failures = 0
                if on_report is not None:
                    on_report(report)
                if report.captured + report.seen_before + report.failed >= settings.CAPTURE_IMAP_BATCH:
                    continue  # more is waiting: read on before idling
                if not _supports_idle(conn):
                    stop.wait(settings.CAPTURE_IMAP_POLL_SECONDS)
                    continue
                if on_idle is not None:
                    on_idle()
                idle_wait(conn, timeout=idle_seconds, stop=stop)
        except NETWORK_ERRORS as exc:
            logger.warning("capture: IDLE connection to %s %s lost: %s", config.account, mailbox, exc)
            stop.wait(RECONNECT_BACKOFF_SECONDS[min(failures, len(RECONNECT_BACKOFF_SECONDS) - 1)])
            failures += 1
        finally:
            with contextlib.suppress(*NETWORK_ERRORS, AttributeError):
                conn.logout()
