"""Reads of the capture app: matching a message to people and clients, the To file queue, a thread."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from capture.models import CapturedMessage, CaptureDomain, CaptureStatus, MailThread
from capture.permissions import captured_message_visibility_q
from clients.models import Client, Contact
from users import permissions as rules
from users.models import Role, User

QUEUE_SIZE = 100
FILE_CHOICES = 500  # clients offered in the "file to" list of the queue


# --- matching ------------------------------------------------------------------------------------------------


def users_by_email(emails: Iterable[str]) -> dict[str, User]:
    """Active users of the product by (lower-case) e-mail address; the oldest account wins a shared address."""
    emails = {e.lower() for e in emails if e}
    if not emails:
        return {}
    found: dict[str, User] = {}
    users = User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails, is_active=True)
    for user in users.select_related("team").order_by("pk"):
        found.setdefault(user.email_lower, user)
    return found


def contacts_by_email(emails: Iterable[str]) -> list[Contact]:
    """Contacts of live (not archived) clients with one of these addresses."""
    emails = {e.lower() for e in emails if e}
    if not emails:
        return []
    return list(
        Contact.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails, client__archived_at__isnull=True)
        .select_related("client", "client__owner", "client__team")
        .order_by("client_id", "pk")
    )


def clients_by_learned_domain(domains: Iterable[str]) -> list[Client]:
    domains = {d.lower() for d in domains if d}
    if not domains:
        return []
    rows = CaptureDomain.objects.filter(domain__in=domains, client__archived_at__isnull=True).select_related(
        "client", "client__owner", "client__team"
    )
    return list({row.client_id: row.client for row in rows}.values())


def clients_by_contact_domain(domains: Iterable[str]) -> list[Client]:
    """Live clients with a contact whose address is at one of these domains."""
    domains = {d.lower() for d in domains if d}
    if not domains:
        return []
    at_domain = Q()
    for domain in sorted(domains):
        at_domain |= Q(email__iendswith=f"@{domain}")
    ids = Contact.objects.filter(at_domain, client__archived_at__isnull=True).values("client_id")
    return list(Client.objects.filter(pk__in=ids).select_related("owner", "team").order_by("pk"))


def client_contacts_among(*, client: Client, emails: Iterable[str]) -> list[Contact]:
    emails = {e.lower() for e in emails if e}
    if not emails:
        return []
    return list(Contact.objects.annotate(email_lower=Lower("email")).filter(client=client, email_lower__in=emails))


def thread_for(*, message_id: str, parent_ids: Sequence[str]) -> MailThread | None:
    """The thread of the nearest message this one answers; else of a reply to it captured earlier."""
    if parent_ids:
        parents = {
            row.message_id: row.thread
            for row in CapturedMessage.objects.filter(message_id__in=parent_ids, thread__isnull=False).select_related(
                "thread", "thread__client"
            )
        }
        for parent_id in parent_ids:
            if parent_id in parents:
                return parents[parent_id]
    if message_id:
        child = (
            CapturedMessage.objects.filter(in_reply_to=message_id, thread__isnull=False)
            .select_related("thread", "thread__client")
            .order_by("pk")
            .first()
        )
        if child is not None:
            return child.thread
    return None


# --- pages -----------------------------------------------------------------------------------------------------


def captured_queryset_for_user(*, user: User) -> QuerySet[CapturedMessage]:
    return CapturedMessage.objects.filter(captured_message_visibility_q(user)).select_related(
        "client", "owner", "thread"
    )


def to_file_queue(*, user: User) -> list[CapturedMessage]:
    """The user's To file queue (and a lead's team's), unreadable messages included, newest first."""
    queryset = captured_queryset_for_user(user=user).filter(status__in=[CaptureStatus.TO_FILE, CaptureStatus.FAILED])
    return list(queryset.order_by("-created_at", "-pk")[:QUEUE_SIZE])


def fileable_clients(*, user: User) -> list[Client]:
    """Clients the user may file mail to (those they may edit), by name."""
    queryset = Client.objects.filter(rules.portfolio_q(user), archived_at__isnull=True)
    if user.is_admin_role:
        pass
    elif user.role == Role.TEAM_LEAD and user.team_id:
        queryset = queryset.filter(Q(owner=user.pk) | Q(team=user.team_id))
    elif user.role == Role.ACCOUNT_MANAGER:
        queryset = queryset.filter(owner=user.pk)
    else:
        return []
    return list(queryset.only("pk", "name").order_by("name", "pk")[:FILE_CHOICES])


def candidate_clients(*, messages: Sequence[CapturedMessage], user: User) -> dict[int, list[Client]]:
    """For each ambiguous message, the candidate clients the user may see (one query for the page)."""
    wanted = {pk for message in messages for pk in (message.candidates or [])}
    if not wanted:
        return {}
    visible = {c.pk: c for c in Client.objects.filter(rules.portfolio_q(user), pk__in=wanted).only("pk", "name")}
    return {m.pk: [visible[pk] for pk in (m.candidates or []) if pk in visible] for m in messages}


def thread_messages(*, message: CapturedMessage, user: User) -> list[CapturedMessage]:
    """The other messages of its thread that the user may see, oldest first."""
    if message.thread_id is None:
        return []
    return list(
        captured_queryset_for_user(user=user)
        .filter(thread=message.thread_id)
        .exclude(pk=message.pk)
        .order_by("sent_at", "pk")
    )
