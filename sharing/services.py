"""Every write of the shared plan page: share with contacts, revoke, send and check the one-time code, the
contact's ticks and comments. The page's security rests here: tokens and codes are stored only as hashes,
compared in constant time, limited in number and in time."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from clients.models import Client, Contact
from clients.permissions import client_can_edit
from core.errors import ApplicationError, NotAllowedError
from core.public_pages import speaking
from core.tokens import token_lookup_digest, token_new
from notifications.kinds import Kind
from notifications.services import NotificationDraft, notifications_send, outbox_enqueue
from reviews.models import ReviewActionItem
from reviews.services import action_item_done_by_contact
from sharing.models import SharedEventKind, SharedPlanEvent, SharedPlanLink
from users.models import User

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=15)
CODE_RESEND_AFTER = dt.timedelta(seconds=60)
MAX_CODES_PER_DAY = 5
MAX_CODE_FAILURES = 5
COMMENT_MAX = 2000


def _code_digest(link: SharedPlanLink, code: str) -> str:
    # Keyed with the server's secret and the link: a leaked table of hashes cannot be tried offline.
    return hmac.new(settings.SECRET_KEY.encode(), f"{link.pk}:{code}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Visitor:
    ip_address: str | None = None
    user_agent: str = ""


def _event(link: SharedPlanLink, kind: str, *, now: dt.datetime, visitor: Visitor | None = None, detail: str = ""):
    visitor = visitor or Visitor()
    SharedPlanEvent.objects.create(
        link=link, client_id=link.client_id, kind=kind, at=now, detail=detail[:COMMENT_MAX],
        ip_address=visitor.ip_address, user_agent=visitor.user_agent[:200],
    )  # fmt: skip


@dataclass(frozen=True)
class NewLink:
    link: SharedPlanLink
    url: str  # carries the token: shown to nobody but sent to the contact


@transaction.atomic
def shared_links_create(
    *,
    client: Client,
    contacts: Iterable[Contact],
    by: User,
    expires_in_days: int,
    base_url: str,
    now: dt.datetime | None = None,
) -> list[NewLink]:
    """Share the client's page with each contact: a link of their own, e-mailed to them (through the outbox)."""
    if not client_can_edit(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not share its plan."))
    contacts = list(contacts)
    if not contacts:
        raise ApplicationError(_("Choose at least one contact to share with."), field="contacts")
    if not 1 <= int(expires_in_days) <= 365:
        raise ApplicationError(_("A link lasts between 1 and 365 days."), field="expires_in_days")
    for contact in contacts:
        if contact.client_id != client.pk:
            raise ApplicationError(_("Choose contacts of this client."), field="contacts")
        if not contact.email:
            raise ApplicationError(
                _("%(name)s has no e-mail address: the one-time code could not reach them.") % {"name": contact},
                field="contacts",
            )
        if not contact.is_active:
            raise ApplicationError(_("%(name)s has left the client.") % {"name": contact}, field="contacts")
    now = now or timezone.now()
    created = []
    for contact in contacts:
        token, digest = token_new()
        link = SharedPlanLink.objects.create(
            client=client, contact=contact, email=contact.email, token_hash=digest, created_by=by,
            expires_at=now + dt.timedelta(days=int(expires_in_days)),
        )  # fmt: skip
        url = base_url.rstrip("/") + reverse("sharing:page", args=[token])
        with speaking(contact.language, default=settings.LANGUAGE_CODE):
            _send_link(link, contact=contact, by=by, url=url)
        _event(link, SharedEventKind.SHARED, now=now, detail=contact.email)
        created.append(NewLink(link, url))
    return created


def _send_link(link: SharedPlanLink, *, contact: Contact, by: User, url: str) -> None:
    client = link.client
    outbox_enqueue(
        key=f"shared-link-{link.pk}",
        recipient=contact.email,
        subject=_("%(client)s and %(company)s: our shared plan") % {"client": client.name, "company": _("Account CRM")},
        body=_(
            "Hello %(name)s,\n\n%(am)s has shared your plan with us: the objectives we agreed, the next steps and "
            "our next review.\n\n%(url)s\n\nThe first time you open it, we send a one-time code to this address. "
            "The link works until %(expires)s.\n"
        )
        % {"name": contact.first_name, "am": by, "url": url, "expires": link.expires_at.date().isoformat()},
    )


@transaction.atomic
def shared_link_revoke(*, link: SharedPlanLink, by: User, now: dt.datetime | None = None) -> SharedPlanLink:
    if not client_can_edit(user=by, client=link.client):
        raise NotAllowedError(_("You can view this client but not change what it shares."))
    link = SharedPlanLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is None:
        link.revoked_at = now or timezone.now()
        link.save(update_fields=["revoked_at"])
        _event(link, SharedEventKind.REVOKED, now=link.revoked_at, detail=str(by))
    return link


class LinkState:
    VALID, UNKNOWN, EXPIRED, REVOKED = "valid", "unknown", "expired", "revoked"


def shared_link_find(*, token: str, now: dt.datetime | None = None) -> tuple[str, SharedPlanLink | None]:
    """The link a token opens and whether it still works. Unknown tokens and links of archived clients are
    "unknown": the page does not tell an outsider which tokens once existed."""
    digest = token_lookup_digest(token)
    if digest is None:
        return LinkState.UNKNOWN, None
    link = (
        SharedPlanLink.objects.select_related("client__owner", "contact")
        .filter(token_hash=digest, client__archived_at__isnull=True)
        .first()
    )
    if link is None:
        return LinkState.UNKNOWN, None
    if link.revoked_at is not None or not link.contact.is_active:
        return LinkState.REVOKED, link
    if link.expires_at <= (now or timezone.now()):
        return LinkState.EXPIRED, link
    return LinkState.VALID, link


@transaction.atomic
def shared_code_send(*, link: SharedPlanLink, now: dt.datetime | None = None, visitor: Visitor | None = None) -> None:
    """E-mail a one-time code to the address the link was shared with (never to one the visitor types)."""
    now = now or timezone.now()
    link = SharedPlanLink.objects.select_for_update().get(pk=link.pk)
    if link.code_sent_at and now - link.code_sent_at < CODE_RESEND_AFTER:
        raise ApplicationError(_("A code was sent a moment ago; check your inbox (and the spam folder)."))
    sent_today = link.codes_sent_today if link.code_sent_at and link.code_sent_at.date() == now.date() else 0
    if sent_today >= MAX_CODES_PER_DAY:
        raise ApplicationError(_("Too many codes today. Try again tomorrow, or ask your account manager."))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    link.code_hash = _code_digest(link, code)
    link.code_sent_at = now
    link.code_expires_at = now + CODE_LIFETIME
    link.code_failures = 0
    link.codes_sent_today = sent_today + 1
    link.save(update_fields=["code_hash", "code_sent_at", "code_expires_at", "code_failures", "codes_sent_today"])
    outbox_enqueue(
        key=f"shared-code-{link.pk}-{link.codes_sent_today}-{now:%Y%m%d}",
        recipient=link.email,
        subject=_("Your code for the shared plan: %(code)s") % {"code": code},
        body=_(
            "Your one-time code is %(code)s. It works for 15 minutes.\n\nIf you did not ask for it, ignore this e-mail."
        )
        % {"code": code},
    )
    _event(link, SharedEventKind.CODE_SENT, now=now, visitor=visitor)


class CodeCheck:
    RIGHT, WRONG, EXPIRED, LOCKED = "right", "wrong", "expired", "locked"

    MESSAGES = {
        "wrong": _lazy("This code is not right. Check the latest e-mail we sent."),
        "expired": _lazy("This code has expired; send yourself a new one."),
        "locked": _lazy("Too many wrong codes; send yourself a new one."),
    }


@transaction.atomic
def shared_code_check(
    *, link: SharedPlanLink, code: str, now: dt.datetime | None = None, visitor: Visitor | None = None
) -> str:
    """Accept the code once; after five wrong tries the code is dead and a new one must be sent. Returns a
    CodeCheck value, never raises for a wrong code: the failure must be committed to count."""
    now = now or timezone.now()
    link = SharedPlanLink.objects.select_for_update().get(pk=link.pk)
    if not link.code_hash or not link.code_expires_at or link.code_expires_at <= now:
        return CodeCheck.EXPIRED
    if link.code_failures >= MAX_CODE_FAILURES:
        return CodeCheck.LOCKED
    candidate = "".join(ch for ch in str(code or "") if ch.isdigit())
    if not hmac.compare_digest(_code_digest(link, candidate), link.code_hash):
        SharedPlanLink.objects.filter(pk=link.pk).update(code_failures=F("code_failures") + 1)
        _event(link, SharedEventKind.CODE_FAILED, now=now, visitor=visitor)
        return CodeCheck.WRONG
    link.code_hash = ""
    link.code_expires_at = None
    link.verified_at = link.verified_at or now
    link.save(update_fields=["code_hash", "code_expires_at", "verified_at"])
    _event(link, SharedEventKind.VERIFIED, now=now, visitor=visitor)
    return CodeCheck.RIGHT


def shared_page_viewed(*, link: SharedPlanLink, now: dt.datetime | None = None, visitor: Visitor | None = None) -> None:
    now = now or timezone.now()
    # One log line per visit (an hour), not per reload.
    if link.last_viewed_at is None or now - link.last_viewed_at > dt.timedelta(hours=1):
        _event(link, SharedEventKind.VIEWED, now=now, visitor=visitor)
    SharedPlanLink.objects.filter(pk=link.pk).update(last_viewed_at=now)


def _tell_the_owner(link: SharedPlanLink, variant: str, **params: str) -> None:
    owner = link.client.owner
    if owner is not None and owner.is_active:
        params = {"contact": str(link.contact), "client": link.client.name, "variant": variant, **params}
        url = reverse("sharing:manage", args=[link.client_id])
        draft = NotificationDraft(user_id=owner.pk, kind=Kind.SHARED_PLAN_ACTIVITY, params=params, url=url)
        notifications_send(drafts=[draft])


@transaction.atomic
def shared_item_tick(
    *, link: SharedPlanLink, item_id: int, done: bool, now: dt.datetime | None = None, visitor: Visitor | None = None
) -> bool:
    """The contact ticks one of their own shared items done (or not). Items of other clients and items that are
    not theirs are not found."""
    now = now or timezone.now()
    item = ReviewActionItem.objects.filter(pk=item_id, review__client_id=link.client_id).first()
    if item is None:
        raise NotAllowedError(_("This item is not on your plan."))
    changed = action_item_done_by_contact(item=item, contact=link.contact, done=done, now=now)
    if changed:
        kind = SharedEventKind.ITEM_DONE if done else SharedEventKind.ITEM_REOPENED
        _event(link, kind, now=now, visitor=visitor, detail=item.title)
        _tell_the_owner(link, "done" if done else "reopened", item=item.title)
    return changed


@transaction.atomic
def shared_comment_add(
    *, link: SharedPlanLink, text: str, now: dt.datetime | None = None, visitor: Visitor | None = None
) -> None:
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Write your comment first."), field="text")
    if len(text) > COMMENT_MAX:
        raise ApplicationError(_("Keep it under %(limit)s characters.") % {"limit": COMMENT_MAX}, field="text")
    now = now or timezone.now()
    _event(link, SharedEventKind.COMMENT, now=now, visitor=visitor, detail=text)
    _tell_the_owner(link, "comment", text=text[:120])
