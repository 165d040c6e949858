"""Every write of the capture app. The three ways in (IMAP poller, inbound endpoint, .eml upload) call
``message_capture``; the To file page calls ``captured_message_file``.

A message is read once: ``CapturedMessage.message_id`` is unique, so a message BCC'd by two colleagues (two
copies in the mailbox, or the same message posted twice) is one row and one interaction. It is matched to a
client by, in order: the client given (an upload on a client page), its thread (a reply to a filed message),
the contacts' addresses, a domain an AM taught the product, the domains of the contacts' addresses (never a
free-mail domain). One client: it becomes an e-mail interaction through ``interactions`` (so last contact and
the cadence follow). None or several: it waits in the To file queue of the colleague it belongs to.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from capture import meetings, parsing
from capture.forwards import unwrap_forward
from capture.models import (
    CalendarFeed,
    CapturedMessage,
    CaptureDomain,
    CaptureReason,
    CaptureSource,
    CaptureStatus,
    Direction,
    MailboxState,
    MailThread,
    MeetingStatus,
    PersonalMailbox,
    ScheduledMeeting,
)
from capture.parsing import MalformedMessage, ParsedMessage, header_block, parse_message, synthetic_message_id
from capture.permissions import captured_message_can_file_to, captured_message_can_set_private
from capture.selectors import (
    client_contacts_among,
    clients_by_contact_domain,
    clients_by_learned_domain,
    contacts_by_email,
    thread_for,
    users_by_email,
)
from clients.models import Client, Contact
from clients.permissions import client_can_edit, client_can_view
from contracts.services import document_record_captured
from core.errors import ApplicationError, NotAllowedError
from core.tokens import token_lookup_digest, token_new
from interactions.models import InteractionKind
from interactions.permissions import interaction_can_edit
from interactions.services import interaction_record_captured, interaction_update
from users.models import User

logger = logging.getLogger(__name__)

# Addresses anyone can get: their domain says nothing about the company behind them.
FREEMAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "mail.com",
        "proton.me",
        "protonmail.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "mail.ru",
        "bk.ru",
        "inbox.ru",
        "list.ru",
        "yandex.ru",
        "yandex.com",
        "ya.ru",
        "rambler.ru",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sohu.com",
        "aliyun.com",
    ]
)
SUMMARY_MAX = 10_000
SOURCES = set(CaptureSource.values)


def freemail_domains() -> frozenset[str]:
    return FREEMAIL_DOMAINS | {d.lower() for d in settings.CAPTURE_EXTRA_FREEMAIL_DOMAINS}


def own_domains() -> set[str]:
    return {d.lower() for d in settings.CAPTURE_OWN_DOMAINS}


@dataclass(frozen=True)
class CaptureResult:
    message: CapturedMessage
    created: bool  # False: this Message-ID was captured before (nothing was written)


@dataclass
class _Match:
    client: Client | None = None
    contacts: list[Contact] = field(default_factory=list)
    reason: str = ""
    candidates: list[int] = field(default_factory=list)


def _addresses_json(addresses) -> list[dict]:
    return [{"email": a.email, "name": a.name} for a in addresses]


def _external(emails: list[str], users: dict[str, User]) -> list[str]:
    ignored = {a.lower() for a in settings.CAPTURE_IGNORE_ADDRESSES}
    mine = own_domains()
    return [
        e for e in dict.fromkeys(emails) if e not in users and e not in ignored and e.rpartition("@")[2] not in mine
    ]


def _company_domains(external: list[str], users: dict[str, User]) -> list[str]:
    """Domains that name a company: not free-mail, not ours (nor a colleague's)."""
    skip = freemail_domains() | own_domains() | {u.rpartition("@")[2] for u in users}
    return [d for d in dict.fromkeys(e.rpartition("@")[2] for e in external) if d and d not in skip]


def _match(*, emails: list[str], users: dict[str, User], thread: MailThread | None, client: Client | None) -> _Match:
    external = _external(emails, users)
    if client is not None:
        return _Match(client=client, contacts=client_contacts_among(client=client, emails=external))
    if thread is not None and thread.client_id and thread.client.archived_at is None:
        return _Match(client=thread.client, contacts=client_contacts_among(client=thread.client, emails=external))
    by_client: dict[int, list[Contact]] = {}
    clients: dict[int, Client] = {}
    for contact in contacts_by_email(external):
        by_client.setdefault(contact.client_id, []).append(contact)
        clients[contact.client_id] = contact.client
    if len(by_client) == 1:
        (client_id, contacts), *_ = by_client.items()
        return _Match(client=clients[client_id], contacts=contacts)
    if len(by_client) > 1:
        return _Match(reason=CaptureReason.AMBIGUOUS, candidates=sorted(by_client))
    domains = _company_domains(external, users)
    for found in (clients_by_learned_domain(domains), clients_by_contact_domain(domains)):
        if len(found) == 1:
            return _Match(client=found[0])
        if len(found) > 1:
            return _Match(reason=CaptureReason.AMBIGUOUS, candidates=sorted(c.pk for c in found))
    return _Match(reason=CaptureReason.NO_MATCH)


def _people(*, sender: User | None, recipients: list[User], by: User | None) -> list[User]:
    """Colleagues who took part, the one who wrote first, then those who received it, then who uploaded it."""
    people = [sender] if sender else []
    people += [u for u in recipients if u not in people]
    if by is not None and by not in people:
        people.append(by)
    return people


def _author(*, client: Client, people: list[User]) -> User | None:
    """Who the interaction is by: the first colleague who took part and may see the client (one who may edit it
    before one who only reads it). When no colleague took part (a client wrote to the shared inbox alone), the
    client's owner. None: colleagues took part but none sees this client (their mail stays theirs)."""
    visible = [u for u in people if client_can_view(user=u, client=client)]
    if people and people[0] in visible:
        return people[0]
    editors = [u for u in visible if client_can_edit(user=u, client=client)]
    if editors or visible:
        return (editors or visible)[0]
    if not people and client.owner_id and client.owner.is_active:
        return client.owner
    return None


def _summary(*, subject: str, text: str) -> str:
    subject = subject.strip() or _("(no subject)")
    summary = f"{subject}\n\n{text.strip()}" if text.strip() else subject
    return summary[:SUMMARY_MAX]


def _record_interaction(
    *, row: CapturedMessage, client: Client, author: User, by: User | None, contacts: list[Contact], now: dt.datetime
) -> None:
    occurred_at = min(row.sent_at or now, now)
    private = bool(row.thread_id and row.thread.is_private)
    interaction = interaction_record_captured(
        client=client,
        author=author,
        by=by,
        kind=InteractionKind.EMAIL,
        occurred_at=occurred_at,
        summary=_summary(subject=row.subject, text=row.body_text),
        contacts=contacts,
        is_private=private,
    )
    row.interaction = interaction
    row.client = client
    row.owner = author
    row.status = CaptureStatus.FILED
    row.reason = CaptureReason.NONE
    row.candidates = []
    row.filed_at = now
    row.filed_by = by
    row.save()
    if row.thread_id and row.thread.client_id is None:
        row.thread.client = client
        row.thread.save(update_fields=["client"])


def _insert(row: CapturedMessage) -> CapturedMessage | None:
    """Insert the row; None when a concurrent capture of the same Message-ID won (its row is the one)."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return None
    return row


def _failed_row(
    *, raw: bytes, size: int, source: str, by: User | None, reason: str, detail: str, parsed: ParsedMessage | None
) -> CapturedMessage:
    row = CapturedMessage(
        message_id=(parsed.message_id if parsed else "") or synthetic_message_id(raw),
        status=CaptureStatus.FAILED,
        reason=reason,
        reason_detail=detail[:300],
        source=source,
        size=size,
        captured_by=by,
        owner=by,
    )
    if parsed is not None:  # too large: the envelope was read
        users = users_by_email(a.email for a in parsed.participants)
        sender = users.get(parsed.sender.email) if parsed.sender else None
        recipients = [users[a.email] for a in (*parsed.to, *parsed.cc) if a.email in users]
        people = _people(sender=sender, recipients=recipients, by=by)
        row.owner = people[0] if people else None
        row.subject = parsed.subject
        row.from_email = parsed.sender.email if parsed.sender else ""
        row.from_name = (parsed.sender.name if parsed.sender else "")[:200]
        row.to, row.cc = _addresses_json(parsed.to), _addresses_json(parsed.cc)
        row.sent_at = parsed.sent_at
        row.direction = Direction.OUTBOUND if sender else Direction.INBOUND
    return row


@transaction.atomic
def message_capture(
    *,
    raw: bytes,
    source: str,
    by: User | None = None,
    now: dt.datetime | None = None,
    client: Client | None = None,
    size: int | None = None,
    keep_unmatched: bool = True,
) -> CaptureResult | None:
    """Capture one raw RFC 822 message. Never raises for what the message contains: an unreadable or too large
    message is stored as failed with its reason. ``client``: the client page it was uploaded on (``by`` must be
    able to edit it). ``size``: the real size when ``raw`` is only its header block (a message too large to fetch).
    ``keep_unmatched=False`` (an account manager's own mailbox): mail that matches no client, or cannot be read,
    is not stored at all (None): their private mail never enters the product.
    """
    if source not in SOURCES:
        raise ApplicationError(_("Unknown capture source."))
    if client is not None and (by is None or not client_can_edit(user=by, client=client)):
        raise NotAllowedError(_("You can view this client but not add e-mail to it."))
    now = now or timezone.now()
    raw = bytes(raw or b"")
    size = max(size or 0, len(raw))
    limit = settings.CAPTURE_MAX_MESSAGE_BYTES
    parsed: ParsedMessage | None = None
    failure: tuple[str, str] | None = None
    try:
        if size > limit:
            parsed = parse_message(header_block(raw), headers_only=True)
            detail = _("%(size)s bytes; the limit is %(limit)s.") % {"size": size, "limit": limit}
            failure = (CaptureReason.TOO_LARGE, detail)
        else:
            parsed = parse_message(raw)
    except MalformedMessage as exc:
        parsed, failure = None, (exc.reason, exc.detail)
    except Exception as exc:  # a parser crash is a finding about the message, never a 500
        logger.exception("capture: the parser failed on a message")
        parsed, failure = None, (CaptureReason.UNREADABLE, type(exc).__name__)

    forwarder = _forwarding_colleague(parsed) if failure is None else None
    if forwarder is not None:
        original = unwrap_forward(raw)
        if original is not None:  # a colleague forwarded a client's mail: capture the client's message
            return message_capture(
                raw=original, source=source, by=by or forwarder, now=now, client=client, keep_unmatched=keep_unmatched
            )

    message_id = (parsed.message_id if parsed else "") or synthetic_message_id(raw)
    existing = CapturedMessage.objects.filter(message_id=message_id).select_related("thread").first()
    if existing is not None:
        return _again(existing, client=client, by=by, now=now)

    if failure is not None and not keep_unmatched:
        return None
    if failure is not None:
        row = _failed_row(raw=raw, size=size, source=source, by=by, reason=failure[0], detail=failure[1], parsed=parsed)
        row.message_id = message_id
        inserted = _insert(row)
        return CaptureResult(inserted or CapturedMessage.objects.get(message_id=message_id), inserted is not None)

    emails = [a.email for a in parsed.participants]
    users = users_by_email(emails)
    sender = users.get(parsed.sender.email) if parsed.sender else None
    recipients = [users[a.email] for a in (*parsed.to, *parsed.cc) if a.email in users]
    people = _people(sender=sender, recipients=recipients, by=by)
    thread = thread_for(message_id=parsed.message_id, parent_ids=parsed.parent_ids)
    match = _match(emails=emails, users=users, thread=thread, client=client)
    author = _author(client=match.client, people=people) if match.client else None
    if match.client is not None and author is None:
        match = _Match(reason=CaptureReason.NO_AUTHOR)
    if match.client is None and not keep_unmatched:
        return None

    if thread is None:
        thread = MailThread.objects.create(subject=parsed.subject)
    row = CapturedMessage(
        message_id=message_id,
        thread=thread,
        status=CaptureStatus.TO_FILE,
        reason=match.reason,
        source=source,
        direction=Direction.OUTBOUND if sender else Direction.INBOUND,
        subject=parsed.subject,
        from_email=parsed.sender.email if parsed.sender else "",
        from_name=(parsed.sender.name if parsed.sender else "")[:200],
        to=_addresses_json(parsed.to),
        cc=_addresses_json(parsed.cc),
        sent_at=parsed.sent_at,
        in_reply_to=parsed.in_reply_to[:255],
        references=list(parsed.references)[-50:],
        body_text=parsed.text,
        full_text=parsed.full_text,
        from_html=parsed.from_html,
        attachments=[{"name": a.filename, "type": a.content_type, "size": a.size} for a in parsed.attachments],
        size=size,
        owner=author or (people[0] if people else None),
        captured_by=by,
        candidates=match.candidates,
    )
    if _insert(row) is None:
        return CaptureResult(CapturedMessage.objects.get(message_id=message_id), False)
    if match.client is not None:
        _record_interaction(row=row, client=match.client, author=author, by=by, contacts=match.contacts, now=now)
        _receive_invitations(parsed.calendars, client=match.client, owner=author, by=by, now=now)
        if parsed.attachments and not (row.thread_id and row.thread.is_private):
            _keep_attachments(row=row, raw=raw, client=match.client, author=author, now=now)
    return CaptureResult(row, True)


def _keep_attachments(*, row: CapturedMessage, raw: bytes, client: Client, author: User, now: dt.datetime) -> None:
    """Attached files of mail filed to a client become its documents (the documents' limits and access checks);
    a refused file stays listed on the message with the reason. Mail in a private thread keeps its files to
    itself: they would otherwise be visible to the whole team through the client's documents."""
    payloads = parsing.attachment_payloads(raw, limit=settings.DOCUMENT_MAX_BYTES)
    by_name: dict[str, list[bytes]] = {}
    for name, data in payloads:
        by_name.setdefault(name, []).append(data)
    listed = []
    for entry in row.attachments:
        datas = by_name.get(entry["name"])
        if not datas:
            listed.append({**entry, "kept": False, "why": _("Larger than the limit for documents.")})
            continue
        document, why = document_record_captured(
            client=client, author=author, filename=entry["name"], data=datas.pop(0), today=timezone.localdate(now)
        )
        listed.append(
            {**entry, "kept": document is not None, "document": document.pk if document else None, "why": why}
        )
    row.attachments = listed
    row.save(update_fields=["attachments"])


def _receive_invitations(
    calendars: tuple[bytes, ...], *, client: Client, owner: User, by: User | None, now: dt.datetime
) -> None:
    """A meeting invitation in a filed message schedules that meeting with the client (logged once it is over)."""
    for raw in calendars:
        try:
            events = meetings.parse_invitation(raw)
        except ApplicationError:
            continue  # an unreadable invitation leaves the e-mail itself captured
        for event in events:
            meeting_invitation_receive(event=event, owner=owner, client=client, by=by, now=now)


def _forwarding_colleague(parsed: ParsedMessage | None) -> User | None:
    """The colleague who sent this message, when it may be a forward of someone else's mail."""
    if parsed is None or parsed.sender is None:
        return None
    return users_by_email([parsed.sender.email]).get(parsed.sender.email.lower())


def _again(existing: CapturedMessage, *, client: Client | None, by: User | None, now: dt.datetime) -> CaptureResult:
    """A Message-ID seen before: nothing new, unless it waits in To file and is now uploaded on a client's page."""
    waiting = client is not None and by is not None and existing.status == CaptureStatus.TO_FILE
    if waiting and captured_message_can_file_to(user=by, message=existing, client=client):
        captured_message_file(message=existing, client=client, by=by, now=now)
        existing.refresh_from_db()
    return CaptureResult(existing, False)


# --- the To file queue -----------------------------------------------------------------------------------------


def _message_domain(message: CapturedMessage) -> str | None:
    """The company domain of the other side: the sender's for received mail, the first recipient's for sent."""
    users = users_by_email(message.addresses)
    external = _external(
        [message.from_email] if message.direction == Direction.INBOUND else message.addresses[1:], users
    )
    domains = _company_domains(external, users)
    return domains[0] if domains else None


@transaction.atomic
def captured_message_file(
    *, message: CapturedMessage, client: Client, by: User, remember_domain: bool = False, now: dt.datetime | None = None
) -> CapturedMessage:
    """File a To file message to a client (one click on the queue), optionally teaching the product its domain."""
    now = now or timezone.now()
    current = CapturedMessage.objects.select_for_update(of=("self",)).select_related("thread").get(pk=message.pk)
    if current.status == CaptureStatus.FILED:
        raise ApplicationError(_("This e-mail is already filed."))
    if current.status == CaptureStatus.FAILED:
        raise ApplicationError(_("This e-mail could not be read; there is nothing to file."))
    if client.archived_at is not None:
        raise ApplicationError(_("This client is archived."), field="client")
    if not captured_message_can_file_to(user=by, message=current, client=client):
        raise NotAllowedError(_("You may not file this e-mail to this client."))
    owner = current.owner
    author = owner if owner is not None and client_can_view(user=owner, client=client) else by
    contacts = client_contacts_among(client=client, emails=current.addresses)
    _record_interaction(row=current, client=client, author=author, by=by, contacts=contacts, now=now)
    if remember_domain:
        domain = _message_domain(current)
        if domain is None:
            raise ApplicationError(
                _("This e-mail has no company domain to remember (a free-mail or colleague's address)."),
                field="remember_domain",
            )
        capture_domain_remember(domain=domain, client=client, by=by)
    return current


@transaction.atomic
def capture_domain_remember(*, domain: str, client: Client, by: User) -> CaptureDomain:
    domain = (domain or "").strip().lower().lstrip("@")
    if not domain or "." not in domain or domain in freemail_domains() or domain in own_domains():
        raise ApplicationError(_("%(domain)s cannot name one client.") % {"domain": domain or "?"}, field="domain")
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not change it."))
    learned, _created = CaptureDomain.objects.update_or_create(
        domain=domain, defaults={"client": client, "created_by": by}
    )
    return learned


@dataclass(frozen=True)
class PrivacyResult:
    changed: int  # interactions made private (or public again)
    skipped: int  # interactions of the thread by colleagues, left as they are


@transaction.atomic
def thread_set_private(*, message: CapturedMessage, by: User, private: bool = True) -> PrivacyResult:
    """Mark the message's thread private: its interactions become private notes (author and team lead only), and
    so will the replies captured later. Interactions of the thread that ``by`` may not edit stay as they are."""
    if not captured_message_can_set_private(user=by, message=message):
        raise NotAllowedError(_("Only the author of this e-mail or their team lead can mark its thread private."))
    thread = message.thread
    if thread is None:
        thread = MailThread.objects.create(subject=message.subject)
        CapturedMessage.objects.filter(pk=message.pk).update(thread=thread)
    thread = MailThread.objects.select_for_update().get(pk=thread.pk)
    thread.is_private = private
    thread.save(update_fields=["is_private"])
    changed = skipped = 0
    filed = CapturedMessage.objects.filter(
        thread=thread, interaction__isnull=False, interaction__deleted_at__isnull=True
    ).select_related("interaction", "interaction__client")
    for row in filed:
        interaction = row.interaction
        if interaction.is_private == private:
            continue
        if not interaction_can_edit(user=by, interaction=interaction):
            skipped += 1
            continue
        interaction_update(interaction=interaction, by=by, expected_version=None, is_private=private)
        changed += 1
    return PrivacyResult(changed=changed, skipped=skipped)


# --- IMAP mailboxes --------------------------------------------------------------------------------------------


@transaction.atomic
def mailbox_state_open(*, account: str, mailbox: str, uidvalidity: int) -> MailboxState:
    """The state of a mailbox as the server describes it now: a new UIDVALIDITY means its UIDs were renumbered,
    so reading starts again from the first (Message-IDs keep what was captured from being captured twice)."""
    state, _created = MailboxState.objects.select_for_update().get_or_create(account=account, mailbox=mailbox)
    if state.uidvalidity != uidvalidity:
        if state.uidvalidity is not None:
            logger.warning(
                "capture: UIDVALIDITY of %s %s changed (%s -> %s); reading it again",
                account, mailbox, state.uidvalidity, uidvalidity,
            )  # fmt: skip
        state.uidvalidity = uidvalidity
        state.last_uid = 0
        state.save()
    return state


@transaction.atomic
def mailbox_message_capture(
    *,
    state: MailboxState,
    uid: int,
    raw: bytes | None,
    size: int | None = None,
    now: dt.datetime | None = None,
    personal: bool = False,
) -> CaptureResult | None:
    """Capture the message ``uid`` of a mailbox and move the mailbox past it, in one transaction: a poll cut off
    anywhere leaves each message either captured and passed, or neither. ``raw=None``: the message vanished
    (expunged) between the search and the fetch; it is passed. None: another poller took this UID first."""
    current = MailboxState.objects.select_for_update().get(pk=state.pk)
    if current.uidvalidity != state.uidvalidity or uid <= current.last_uid:
        return None
    result = None
    if raw is not None:
        result = message_capture(raw=raw, source=CaptureSource.IMAP, now=now, size=size, keep_unmatched=not personal)
    current.last_uid = uid
    current.captured += 1 if result is not None and result.created else 0
    current.save(update_fields=["last_uid", "captured", "updated_at"])
    state.last_uid = uid
    return result


@transaction.atomic
def mailbox_poll_done(*, state: MailboxState, now: dt.datetime | None = None, error: str = "") -> None:
    MailboxState.objects.filter(pk=state.pk).update(
        last_polled_at=now or timezone.now(), last_error=error[:500], updated_at=timezone.now()
    )


# --- Calendars out: the private feed -------------------------------------------------------------------


@transaction.atomic
def calendar_feed_rotate(*, user: User) -> str:
    """A new secret for the user's feed; the old URL stops working at once. Returns the token (shown once)."""
    token, digest = token_new()
    CalendarFeed.objects.update_or_create(user=user, defaults={"token_hash": digest, "last_fetched_at": None})
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> bool:
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_open(*, token: str, now: dt.datetime | None = None) -> User | None:
    """The active user a feed token belongs to, or None; notes when the feed was last read."""
    digest = token_lookup_digest(token)
    if digest is None:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=digest, user__is_active=True).first()
    if feed is None:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now or timezone.now())
    return feed.user


# --- Meetings in: invitations become scheduled meetings, then interactions ----------------------------------


def _client_for(event: meetings.InvitationEvent) -> Client | None:
    clients = {contact.client_id: contact.client for contact in contacts_by_email([event.organizer, *event.attendees])}
    return next(iter(clients.values())) if len(clients) == 1 else None


@transaction.atomic
def meeting_invitation_receive(
    *,
    event: meetings.InvitationEvent,
    owner: User,
    client: Client | None = None,
    by: User | None = None,
    now: dt.datetime,
) -> meetings.MeetingResult:
    """Schedule, move or cancel the meeting of one invitation event; log it at once if it is over."""
    client = client or _client_for(event)
    if client is None:
        return meetings.MeetingResult(None, "no_client")
    meeting = ScheduledMeeting.objects.select_for_update().filter(client=client, uid=event.uid).first()
    if meeting is None:
        if event.cancelled:
            return meetings.MeetingResult(None, "unchanged")
        meeting = ScheduledMeeting.objects.create(
            client=client,
            uid=event.uid,
            sequence=event.sequence,
            summary=event.summary,
            description=event.description,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            organizer_email=event.organizer,
            attendee_emails=list(event.attendees),
            owner=owner,
        )
        outcome = "scheduled"
    elif meeting.status != MeetingStatus.SCHEDULED or event.sequence < meeting.sequence:
        return meetings.MeetingResult(meeting, "unchanged")  # already logged, cancelled, or an older message read late
    elif event.cancelled:
        meeting.status = MeetingStatus.CANCELLED
        meeting.sequence = event.sequence
        meeting.save(update_fields=["status", "sequence", "updated_at"])
        return meetings.MeetingResult(meeting, "cancelled")
    else:
        changed = (meeting.starts_at, meeting.ends_at, meeting.summary) != (
            event.starts_at,
            event.ends_at,
            event.summary,
        )
        meeting.sequence = event.sequence
        meeting.summary, meeting.description = event.summary, event.description
        meeting.starts_at, meeting.ends_at = event.starts_at, event.ends_at
        meeting.attendee_emails = list(event.attendees)
        meeting.save()
        outcome = "moved" if changed else "unchanged"
    if meeting.ends_at <= now:
        meeting_log(meeting=meeting, by=by)
        outcome = "logged"
    return meetings.MeetingResult(meeting, outcome)


@transaction.atomic
def meeting_log(*, meeting: ScheduledMeeting, by: User | None = None) -> ScheduledMeeting:
    """Log a meeting that has taken place as a meeting interaction with the contacts who were invited."""
    meeting = ScheduledMeeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != MeetingStatus.SCHEDULED:
        return meeting
    contacts = client_contacts_among(client=meeting.client, emails=[meeting.organizer_email, *meeting.attendee_emails])
    summary = meeting.summary if not meeting.description else f"{meeting.summary}\n\n{meeting.description}"
    meeting.interaction = interaction_record_captured(
        client=meeting.client,
        author=meeting.owner,
        by=by,
        kind=InteractionKind.MEETING,
        occurred_at=meeting.starts_at,
        summary=summary[:2000],
        contacts=contacts,
    )
    meeting.status = MeetingStatus.LOGGED
    meeting.save(update_fields=["interaction", "status", "updated_at"])
    return meeting


def meetings_log_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Celery beat: log every scheduled meeting that has ended. Each in its own transaction."""
    now = now or timezone.now()
    due = list(
        ScheduledMeeting.objects.filter(status=MeetingStatus.SCHEDULED, ends_at__lte=now)
        .order_by("ends_at")
        .values_list("pk", flat=True)[:limit]
    )
    logged = 0
    for pk in due:
        try:
            meeting_log(meeting=ScheduledMeeting(pk=pk))
            logged += 1
        except Exception:  # one bad row (an owner who lost access) must not stop the others
            logger.exception("capture: could not log scheduled meeting %s", pk)
    return logged


def invitation_upload(
    *, raw: bytes, client: Client, by: User, now: dt.datetime | None = None
) -> list[meetings.MeetingResult]:
    """An .ics file uploaded on a client's page: its meetings are that client's, owned by the uploader."""
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not add meetings to it."))
    now = now or timezone.now()
    return [
        meeting_invitation_receive(event=event, owner=by, client=client, by=by, now=now)
        for event in meetings.parse_invitation(raw)
    ]


# --- An account manager's own mailbox, with their consent ------------------------------------------------------


def personal_mailbox_connect(
    *,
    user: User,
    host: str,
    port: int,
    security: str,
    username: str,
    password: str,
    mailbox: str = "INBOX",
    consent: bool,
    now: dt.datetime | None = None,
) -> PersonalMailbox:
    """Connect the user's own mailbox after checking that the server takes the login. Only their own; the
    password is sealed (core.sealed); reading starts from what arrives next, never their whole history."""
    from capture import imap

    if not consent:
        raise ApplicationError(_("Tick the box to agree that the CRM reads this mailbox."), field="consent")
    if not (host or "").strip() or not (username or "").strip() or not password:
        raise ApplicationError(_("Give the server, the user name and the password."), field="host")
    config = imap.ImapConfig(
        host=host.strip(), port=int(port), username=username.strip(), password=password, security=security,
        mailboxes=((mailbox or "INBOX").strip(),), timeout=settings.IMAP_TIMEOUT_SECONDS,
    )  # fmt: skip
    found = imap.probe(config)  # network: outside any transaction
    if found.problem:
        raise ApplicationError(found.problem, field="password")
    return _personal_mailbox_save(user=user, config=config, probe=found, now=now or timezone.now())


def personal_mailbox_connect_oauth(
    *, user: User, provider_key: str, email: str, tokens, consent: bool, now: dt.datetime | None = None
) -> PersonalMailbox:
    """Connect the user's own mailbox signed in with OAuth (Gmail, Microsoft 365): no password is ever seen."""
    from capture import imap, oauth

    if not consent:
        raise ApplicationError(_("Tick the box to agree that the CRM reads this mailbox."), field="consent")
    provider = oauth.providers().get(provider_key)
    if provider is None:
        raise ApplicationError(_("This sign-in provider is not set up here."))
    config = imap.ImapConfig(
        host=provider.imap_host, port=provider.imap_port, username=email.strip(), password="",
        security=provider.imap_security, timeout=settings.IMAP_TIMEOUT_SECONDS, oauth_token=tokens.access_token,
    )  # fmt: skip
    found = imap.probe(config)
    if found.problem:
        raise ApplicationError(found.problem)
    return _personal_mailbox_save(
        user=user, config=config, probe=found, now=now or timezone.now(), oauth_provider=provider.key, tokens=tokens
    )


@transaction.atomic
def _personal_mailbox_save(
    *, user: User, config, probe, now: dt.datetime, oauth_provider: str = "", tokens=None
) -> PersonalMailbox:
    from core.sealed import seal

    old = PersonalMailbox.objects.filter(user=user).first()
    if old is not None:
        MailboxState.objects.filter(account=f"{old.username}@{old.host}:{old.port}").delete()
    mailbox, _created = PersonalMailbox.objects.update_or_create(
        user=user,
        defaults={
            "host": config.host, "port": config.port, "security": config.security, "username": config.username,
            "password_sealed": seal(config.password) if config.password else "", "mailbox": config.mailboxes[0],
            "oauth_provider": oauth_provider,
            "refresh_token_sealed": seal(tokens.refresh_token) if tokens else "",
            "access_token_sealed": seal(tokens.access_token) if tokens else "",
            "access_expires_at": tokens.expires_at if tokens else None,
            "consent_at": now, "is_active": True, "last_error": "", "last_polled_at": None,
        },
    )  # fmt: skip
    # Start from what arrives next: connecting a mailbox does not read years of someone's history.
    MailboxState.objects.update_or_create(
        account=config.account,
        mailbox=config.mailboxes[0],
        defaults={"uidvalidity": probe.uidvalidity, "last_uid": probe.last_uid, "captured": 0, "last_error": ""},
    )
    return mailbox


def personal_mailbox_access_token(*, mailbox: PersonalMailbox, now: dt.datetime) -> str:
    """A usable access token for an OAuth mailbox, refreshed (and stored sealed) when it has under a minute left."""
    from capture import oauth
    from core.sealed import seal, unseal

    if (
        mailbox.access_token_sealed
        and mailbox.access_expires_at
        and mailbox.access_expires_at > now + dt.timedelta(minutes=1)
    ):
        return unseal(mailbox.access_token_sealed)
    provider = oauth.providers().get(mailbox.oauth_provider)
    if provider is None:
        raise oauth.OAuthError(_("The sign-in provider of this mailbox is no longer set up; connect it again."))
    tokens = oauth.refresh_access(provider, refresh_token=unseal(mailbox.refresh_token_sealed), now=now)
    updates = {"access_token_sealed": seal(tokens.access_token), "access_expires_at": tokens.expires_at}
    if tokens.refresh_token:  # some providers rotate the refresh token too
        updates["refresh_token_sealed"] = seal(tokens.refresh_token)
    PersonalMailbox.objects.filter(pk=mailbox.pk).update(**updates)
    for field_name, value in updates.items():
        setattr(mailbox, field_name, value)
    return tokens.access_token


@transaction.atomic
def personal_mailbox_disconnect(*, user: User) -> bool:
    """Stop reading the user's mailbox and forget its password; mail already filed stays on the timelines."""
    mailbox = PersonalMailbox.objects.filter(user=user).first()
    if mailbox is None:
        return False
    MailboxState.objects.filter(account=f"{mailbox.username}@{mailbox.host}:{mailbox.port}").delete()
    mailbox.delete()
    return True


def personal_mailbox_poll_done(*, mailbox: PersonalMailbox, now: dt.datetime | None, error: str = "") -> None:
    PersonalMailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now or timezone.now(), last_error=error[:500])
