"""Reads for interaction and follow-up pages and endpoints, scoped and preloaded."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from clients.models import Client, Contact
from core.dates import local_day, start_of_local_day
from interactions.models import CONTACT_KINDS, FollowUp, FollowUpStatus, Interaction
from interactions.permissions import followup_visibility_q, interaction_visibility_q
from users.models import User


def contact_interactions() -> QuerySet[Interaction]:
    """Live calls, e-mails and meetings: what counts as contact with the client (a note does not)."""
    return Interaction.objects.filter(deleted_at__isnull=True, kind__in=CONTACT_KINDS)


@dataclass(frozen=True)
class LastContact:
    """A client's newest contact: when it happened and the local day (settings.TIME_ZONE) it fell on."""

    at: dt.datetime
    day: dt.date

    def days_before(self, on_date: dt.date) -> int:
        """Whole local days from the contact to ``on_date``: a call at 23:30 local time was yesterday at 00:10."""
        return (on_date - self.day).days


def last_contacts(
    *, as_of: dt.date, client_ids: Sequence[int] | None = None, known_at: dt.datetime | None = None
) -> dict[int, LastContact]:
    """Each client's last contact up to the end of the local day ``as_of``, in one grouped query.

    The day is the account manager's local day, never the UTC one, so the health score, the rules and the
    dashboards agree on "days since contact" at any hour. ``client_ids=None`` reads every client. ``known_at``
    reads the interactions as they were recorded at that moment (logged by then, not yet deleted): a replay of a
    past morning sees what that morning saw.
    """
    scope = Q(client_id__in=list(client_ids)) if client_ids is not None else Q()
    if known_at is not None:
        scope &= Q(created_at__lte=known_at) & (Q(deleted_at__isnull=True) | Q(deleted_at__gt=known_at))
        rows = Interaction.objects.filter(kind__in=CONTACT_KINDS)
    else:
        rows = contact_interactions()
    rows = (
        rows.filter(scope, occurred_at__lt=start_of_local_day(as_of + dt.timedelta(days=1)))
        .values("client_id")
        .annotate(latest=Max("occurred_at"))
        .values_list("client_id", "latest")
        .order_by()
    )
    return {client_id: LastContact(at=latest, day=local_day(latest)) for client_id, latest in rows}


class ContactHistory:
    """``last_contacts`` for many days (a replay): the clients' calls, e-mails and meetings read once (with when
    each was recorded and deleted), then each day answered in memory. One query."""

    def __init__(self, *, client_ids: Sequence[int]) -> None:
        self._rows: dict[int, list[tuple[dt.datetime, dt.datetime, dt.datetime | None]]] = {}
        for client_id, occurred, created, deleted in (
            Interaction.objects.filter(client_id__in=list(client_ids), kind__in=CONTACT_KINDS)
            .order_by("client_id", "occurred_at")
            .values_list("client_id", "occurred_at", "created_at", "deleted_at")
        ):
            self._rows.setdefault(client_id, []).append((occurred, created, deleted))
        self._occurred = {pk: [row[0] for row in rows] for pk, rows in self._rows.items()}

    def as_of(
        self, *, as_of: dt.date, client_ids: Sequence[int], known_at: dt.datetime | None = None
    ) -> dict[int, LastContact]:
        """The same answer as ``last_contacts(as_of=, client_ids=, known_at=)``."""
        before = start_of_local_day(as_of + dt.timedelta(days=1))
        result = {}
        for client_id in client_ids:
            rows = self._rows.get(client_id, ())
            latest = None
            end = bisect.bisect_left(self._occurred.get(client_id, ()), before)
            for index in range(end - 1, -1, -1):
                occurred, created, deleted = rows[index]
                if known_at is None:
                    if deleted is not None:
                        continue
                elif created > known_at or (deleted is not None and deleted <= known_at):
                    continue
                latest = occurred
                break
            if latest is not None:
                result[client_id] = LastContact(at=latest, day=local_day(latest))
        return result


def interaction_queryset_for_user(*, user: User) -> QuerySet[Interaction]:
    return (
        Interaction.objects.filter(interaction_visibility_q(user))
        .select_related("client", "author")
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("id", "first_name", "last_name")))
    )


def client_interactions(*, client: Client, user: User) -> QuerySet[Interaction]:
    return interaction_queryset_for_user(user=user).filter(client=client).order_by("-occurred_at", "-pk")


def followup_queryset_for_user(*, user: User) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(followup_visibility_q(user)).select_related("client", "owner", "interaction")


def followups_with_interaction_visibility(queryset: QuerySet[FollowUp], *, user: User) -> QuerySet[FollowUp]:
    """Annotate ``interaction_visible``: whether the user may read the interaction a follow-up came from (a private
    note: its author and the team lead only), so an endpoint does not link a note the user may not see."""
    visible = Interaction.objects.filter(interaction_visibility_q(user), pk=OuterRef("interaction_id"))
    return queryset.annotate(interaction_visible=Exists(visible))


def client_open_followups(*, client: Client, user: User) -> QuerySet[FollowUp]:
    return (
        followup_queryset_for_user(user=user)
        .filter(client=client, status=FollowUpStatus.OPEN)
        .order_by("due_date", "pk")
    )


@dataclass(frozen=True)
class FollowUpBuckets:
    overdue: list[FollowUp]
    today: list[FollowUp]
    this_week: list[FollowUp]
    later: list[FollowUp]

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.this_week) + len(self.later)


def followup_buckets(
    *, user: User, owner: User | None = None, commitments_only: bool = False, today: dt.date | None = None
) -> FollowUpBuckets:
    """Open follow-ups of ``owner`` (default: the user), by urgency; one query."""
    today = today or timezone.localdate()
    queryset = followup_queryset_for_user(user=user).filter(
        owner=owner or user, status=FollowUpStatus.OPEN, client__archived_at__isnull=True
    )
    if commitments_only:
        queryset = queryset.filter(is_commitment=True)
    overdue, due_today, week, later = [], [], [], []
    for followup in queryset.order_by("due_date", "pk"):
        if followup.due_date < today:
            overdue.append(followup)
        elif followup.due_date == today:
            due_today.append(followup)
        elif followup.due_date <= today + dt.timedelta(days=7):
            week.append(followup)
        else:
            later.append(followup)
    return FollowUpBuckets(overdue, due_today, week, later)
