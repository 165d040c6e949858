"""Reads for client pages and endpoints: scoped to the user and preloaded."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from clients.models import (
    MANAGED_STATUSES,
    Client,
    ClientStatus,
    ClientStatusChange,
    Contact,
    Handoff,
    HandoffStatus,
    SavedClientView,
)
from clients.permissions import handoff_visibility_q
from users import permissions as rules
from users.models import Role, User


def client_queryset_for_user(*, user: User, scope: str = "all") -> QuerySet[Client]:
    """Clients ``user`` may see; scope ``mine`` narrows to the ones they own (sales: sold)."""
    queryset = Client.objects.filter(rules.portfolio_q(user))
    if scope == "mine":
        field = "sales_owner" if user.role == Role.SALES else "owner"
        queryset = queryset.filter(**{field: user})
    return queryset.select_related("owner", "team", "sales_owner").annotate(
        active_contacts=Count("contacts", filter=Q(contacts__is_active=True))
    )


def client_contacts(*, client: Client) -> QuerySet[Contact]:
    return client.contacts.select_related("reports_to").order_by("-is_active", "last_name", "first_name")


def client_detail_handoffs(*, client: Client) -> QuerySet[Handoff]:
    return client.handoffs.select_related("to_am", "to_team", "created_by", "decided_by").prefetch_related(
        "stakeholders"
    )


def handoff_queryset_for_user(*, user: User) -> QuerySet[Handoff]:
    return (
        Handoff.objects.filter(handoff_visibility_q(user))
        .select_related("client", "to_am", "to_team", "created_by", "decided_by")
        .prefetch_related(Prefetch("stakeholders", queryset=Contact.objects.only("id", "role", "client_id")))
    )


def handoff_inbox_for_user(*, user: User) -> QuerySet[Handoff]:
    """Pending handoffs this user can act on (AM or lead) or is waiting on (sales)."""
    queryset = handoff_queryset_for_user(user=user).filter(status=HandoffStatus.PENDING)
    if user.role == Role.SALES:
        return queryset.filter(created_by=user)
    if user.is_admin_role:
        return queryset
    team_q = Q(to_team=user.team_id) | Q(to_am__team=user.team_id) if user.team_id else Q(pk__in=[])
    if user.role == Role.TEAM_LEAD:
        return queryset.filter(Q(to_am=user) | team_q)
    return queryset.filter(
        Q(to_am=user) | (Q(to_team=user.team_id, to_am__isnull=True) if user.team_id else Q(pk__in=[]))
    )


def handoffs_returned_to(*, user: User) -> QuerySet[Handoff]:
    """Sales: the handoffs an AM sent back to this user, to fix and send again (latest first)."""
    if user.role != Role.SALES:
        return Handoff.objects.none()
    return (
        handoff_queryset_for_user(user=user)
        .filter(status=HandoffStatus.RETURNED, created_by=user)
        .order_by("-decided_at", "-pk")
    )


def contact_queryset_for_user(*, user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(rules.portfolio_q(user, prefix="client__")).select_related("client", "reports_to")


def owners_for_user(*, user: User) -> QuerySet[User]:
    return User.objects.filter(rules.assignable_owners_q(user)).select_related("team")


@dataclass(frozen=True)
class ClientPage:
    """What the client page shows of the client itself; other apps add their panels (clients.panels)."""

    contacts: list[Contact]
    handoffs: list[tuple[Handoff, Any]]  # (handoff, its readiness)
    contact_overdue_days: int | None


def client_page(*, client: Client, today: dt.date) -> ClientPage:
    from clients.services import handoff_readiness  # pure: computes readiness, writes nothing

    due = client.contact_due_on
    return ClientPage(
        contacts=list(client_contacts(client=client)),
        handoffs=[(h, handoff_readiness(h, today=today)) for h in client_detail_handoffs(client=client)],
        contact_overdue_days=(today - due).days if due is not None and due < today else None,
    )


# --- the lifecycle -----------------------------------------------------------------------------------------------


Timeline = list[tuple[dt.date, str]]  # (effective day, status), in the order the changes took effect


StatusHistory = dict[int, list[tuple[dt.date, str, dt.datetime | None]]]  # + when each step was recorded


def status_history(*, client_ids: Sequence[int] | None = None) -> StatusHistory:
    """Each client's dated status steps with the moment each was recorded (None: a client written without its
    service, whose current status stands for as far back as anyone asks), oldest first. Two queries."""
    rows = ClientStatusChange.objects.all()
    clients = Client.objects.all()
    if client_ids is not None:
        rows = rows.filter(client_id__in=list(client_ids))
        clients = clients.filter(pk__in=list(client_ids))
    history: StatusHistory = defaultdict(list)
    for client_id, day, status, created_at in rows.order_by(
        "client_id", "effective_on", "created_at", "pk"
    ).values_list("client_id", "effective_on", "status", "created_at"):
        history[client_id].append((day, status, created_at))
    # A client written in bulk without its service (demo data, fixtures) has no step at all: its current status
    # stands for as far back as anyone asks (nothing dates it).
    unrecorded = clients.exclude(Exists(ClientStatusChange.objects.filter(client_id=OuterRef("pk"))))
    for pk, status in unrecorded.values_list("pk", "status"):
        history[pk].append((dt.date.min, status, None))
    return dict(history)


def timelines_known_at(history: StatusHistory, known_at: dt.datetime | None = None) -> dict[int, Timeline]:
    """The timelines as known at ``known_at`` (the rows recorded by then; None: all of them)."""
    timelines: dict[int, Timeline] = {}
    for client_id, steps in history.items():
        known = [(day, status) for day, status, at in steps if known_at is None or at is None or at <= known_at]
        if known:
            timelines[client_id] = known
    return timelines


def status_timelines(
    *, client_ids: Sequence[int] | None = None, known_at: dt.datetime | None = None
) -> dict[int, Timeline]:
    """Each client's dated status steps, oldest first. ``known_at`` leaves out the rows recorded after that moment
    (a replay of a past morning sees what that morning knew)."""
    return timelines_known_at(status_history(client_ids=client_ids), known_at)


def status_on(timeline: Timeline, day: dt.date) -> str | None:
    """The status in force on ``day`` (None before the first step)."""
    current = None
    for effective_on, status in timeline:
        if effective_on > day:
            break
        current = status
    return current


def is_live_on(timeline: Timeline, day: dt.date) -> bool:
    """Live: looked after by an AM on that day (onboarding, active or paused), so scored and flagged."""
    return status_on(timeline, day) in MANAGED_STATUSES


def live_client_ids(
    *,
    on_date: dt.date,
    client_ids: Sequence[int] | None = None,
    known_at: dt.datetime | None = None,
    history: StatusHistory | None = None,
) -> set[int]:
    """The clients live on ``on_date`` by their dated lifecycle (not before onboarding, not after churn).
    ``history``: already read (status_history; a replay of many days reads it once)."""
    if history is not None:
        wanted = None if client_ids is None else set(client_ids)
        history = {pk: steps for pk, steps in history.items() if wanted is None or pk in wanted}
        timelines = timelines_known_at(history, known_at)
    else:
        timelines = status_timelines(client_ids=client_ids, known_at=known_at)
    return {pk for pk, timeline in timelines.items() if is_live_on(timeline, on_date)}


class LiveOverDays:
    """``live_client_ids`` for many days (a replay of many mornings): the status history read once, then each day
    answered in memory. Days asked in order with the same knowledge (the same recorded steps by ``known_at``) are
    answered by applying only the status steps that take effect in between; anything else starts again from the
    timelines, so every answer is the one ``live_client_ids`` gives."""

    def __init__(self, *, client_ids: Sequence[int]) -> None:
        self.history = status_history(client_ids=client_ids)
        self._recorded = sorted(at for steps in self.history.values() for _, _, at in steps if at is not None)
        self._known: int | None = None  # how many recorded steps the timelines below hold
        self._day: dt.date | None = None
        self._live: set[int] = set()
        self._steps: list[tuple[dt.date, list[tuple[int, bool]]]] = []  # (day, [(client, live from that day)])
        self._next = 0

    def live_on(self, *, on_date: dt.date, known_at: dt.datetime | None = None) -> set[int]:
        known = len(self._recorded) if known_at is None else bisect.bisect_right(self._recorded, known_at)
        if known != self._known or self._day is None or on_date < self._day:
            self._restart(on_date=on_date, known_at=known_at, known=known)
        while self._next < len(self._steps) and self._steps[self._next][0] <= on_date:
            for client_id, live in self._steps[self._next][1]:
                if live:
                    self._live.add(client_id)
                else:
                    self._live.discard(client_id)
            self._next += 1
        self._day = on_date
        return set(self._live)

    def _restart(self, *, on_date: dt.date, known_at: dt.datetime | None, known: int) -> None:
        timelines = timelines_known_at(self.history, known_at)
        self._live = {pk for pk, timeline in timelines.items() if is_live_on(timeline, on_date)}
        later: dict[dt.date, list[tuple[int, bool]]] = defaultdict(list)
        for pk, timeline in timelines.items():
            for day in sorted({effective_on for effective_on, _ in timeline if effective_on > on_date}):
                later[day].append((pk, is_live_on(timeline, day)))
        self._steps = sorted(later.items())
        self._next = 0
        self._known, self._day = known, on_date


@dataclass(frozen=True)
class LifecycleEvent:
    client_id: int
    on: dt.date
    kind: str  # "churned" or "downgraded"
    churn_reason: str = ""
    reason: str = ""


def churn_events(
    *, start: dt.date, end: dt.date, client_ids: Sequence[int] | None = None, downgrades: bool = False
) -> list[LifecycleEvent]:
    """Churns (a step into churned from another status) effective between ``start`` and ``end`` inclusive, oldest
    first; with ``downgrades`` also the recorded downgrades."""
    rows = ClientStatusChange.objects.filter(effective_on__gte=start, effective_on__lte=end)
    if client_ids is not None:
        rows = rows.filter(client_id__in=list(client_ids))
    wanted = Q(status=ClientStatus.CHURNED) & ~Q(previous_status=ClientStatus.CHURNED) & Q(downgraded=False)
    if downgrades:
        wanted |= Q(downgraded=True)
    return [
        LifecycleEvent(client_id=pk, on=day, kind="downgraded" if down else "churned", churn_reason=why, reason=text)
        for pk, day, down, why, text in rows.filter(wanted)
        .order_by("effective_on", "client_id", "pk")
        .values_list("client_id", "effective_on", "downgraded", "churn_reason", "reason")
    ]


def client_status_changes(*, client: Client) -> QuerySet[ClientStatusChange]:
    return client.status_changes.select_related("changed_by").order_by("-effective_on", "-created_at", "-pk")


# --- saved views of the client list ------------------------------------------------------------------------------


def saved_views_for_user(*, user: User) -> QuerySet[SavedClientView]:
    """The user's own saved views, pinned first (nobody sees another user's views)."""
    return SavedClientView.objects.filter(user=user).order_by("-pinned", "name", "pk")


def saved_view_get_for_user(*, user: User, pk: int) -> SavedClientView:
    from django.http import Http404

    view = SavedClientView.objects.filter(user=user, pk=pk).first()
    if view is None:
        raise Http404
    return view


def clients_selected(*, user: User, ids: Sequence[int | str]) -> list[Client]:
    """The clients of a bulk selection that ``user`` may see (ids of others are dropped), in one query."""
    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return []
    return list(client_queryset_for_user(user=user, scope="all").filter(pk__in=wanted).order_by("name", "pk"))
