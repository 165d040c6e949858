"""Reads for the cross-app pages. Each returns everything a page shows, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.models import Client
from core.dates import Quarter
from core.formats import format_day
from core.money import MoneyTotals
from health.models import Band, HealthScore, weakest_in_words
from users.models import User

# --- my day ------------------------------------------------------------------------------------

DAILY_LINE_CAP = 8  # clients in "Call today"; the rest are one click away


@dataclass
class Reason:
    """One reason a client is on My day: a flag, a late commitment, the contact cadence, the renewal."""

    kind: str  # "flag", "commitment", "cadence", "renewal"
    severity: int
    text: str
    flag: Any = None
    followup: Any = None


@dataclass
class ClientLine:
    """One line per client on My day: every reason at once, ranked by flags.priority (as the Flags page is)."""

    client: Client
    reasons: list[Reason]
    priority: Any  # flags.priority.Priority
    phone_contact: Any = None  # who to call (tap-to-call): decision maker, champion, sponsor first

    @property
    def flags(self) -> list:
        return [reason.flag for reason in self.reasons if reason.flag is not None]


@dataclass
class MyDay:
    today: dt.date
    lines: list[ClientLine]  # the top of the list, one per client
    more_lines: int
    held_back: int  # live flags of the user the weekly cap did not push
    followups_overdue: list
    followups_today: list
    contact_overdue: list
    contact_soon: list
    reviews_due: list
    renewals: dict[int, list]  # 30 / 60 / 90 -> clients
    bands: list[tuple[str, int, MoneyTotals]]  # band, clients, ARR per currency
    clients: int
    renewals_overdue: list = field(default_factory=list)  # renewal date passed, client still live

    @property
    def snooze_until(self) -> dt.date:
        return self.today + dt.timedelta(days=7)

    @property
    def flags(self) -> list:
        return [flag for line in self.lines for flag in line.flags]


CLIENT_FIELDS = ("pk", "name", "arr", "currency", "renewal_date", "is_key_account")


def _reasons_by_client(
    *, flags, followups, contact, renewals, today: dt.date
) -> dict[int, tuple[Client, list[Reason]]]:
    from flags.models import RuleKind, Severity

    found: dict[int, tuple[Client, list[Reason]]] = {}

    def add(client, reason: Reason) -> None:
        found.setdefault(client.pk, (client, []))[1].append(reason)

    flagged_kinds: dict[int, set[str]] = {}
    for flag in flags:
        add(flag.client, Reason("flag", flag.severity, flag.title, flag=flag))
        flagged_kinds.setdefault(flag.client_id, set()).add(flag.rule.kind if flag.rule else "")
    for followup in followups:
        if not followup.is_commitment or followup.due_date >= today:
            continue
        if RuleKind.COMMITMENT_OVERDUE in flagged_kinds.get(followup.client_id, ()):
            continue  # the flag says it already
        days = (today - followup.due_date).days
        text = ngettext(
            "Commitment “%(title)s” %(days)s day late", "Commitment “%(title)s” %(days)s days late", days
        ) % {"title": followup.title, "days": days}
        add(followup.client, Reason("commitment", Severity.HIGH, text, followup=followup))
    for client in contact:
        if client.contact_due_on >= today or RuleKind.NO_CONTACT in flagged_kinds.get(client.pk, ()):
            continue
        text = ngettext(
            "Contact overdue since %(day)s (every %(days)s day)",
            "Contact overdue since %(day)s (every %(days)s days)",
            client.contact_cadence_days,
        ) % {
            "day": format_day(client.contact_due_on),
            "days": client.contact_cadence_days,
        }
        add(client, Reason("cadence", Severity.LOW, text))
    for client in renewals:
        days = (client.renewal_date - today).days
        if days > 30 or RuleKind.RENEWAL_NO_REVIEW in flagged_kinds.get(client.pk, ()):
            continue
        if days < 0:
            text = ngettext("Renewal date passed %(days)s day ago", "Renewal date passed %(days)s days ago", -days) % {
                "days": -days
            }
            add(client, Reason("renewal", Severity.HIGH, text))
        else:
            text = (
                _("Renews today")
                if days == 0
                else ngettext("Renews in %(days)s day", "Renews in %(days)s days", days) % {"days": days}
            )
            add(client, Reason("renewal", Severity.MEDIUM, text))
    return found


CALL_FIRST = ("decision_maker", "champion", "sponsor")


def _attach_phone_contacts(lines: list[ClientLine]) -> None:
    """The person to call on each line, in one query: an active contact with a phone, key roles first."""
    from clients.models import Contact

    if not lines:
        return
    best: dict[int, Any] = {}
    contacts = (
        Contact.objects.filter(client_id__in=[line.client.pk for line in lines], is_active=True)
        .exclude(phone="")
        .only("pk", "client_id", "first_name", "last_name", "phone", "role")
        .order_by("pk")
    )
    for contact in contacts:
        rank = CALL_FIRST.index(contact.role) if contact.role in CALL_FIRST else len(CALL_FIRST)
        if contact.client_id not in best or rank < best[contact.client_id][0]:
            best[contact.client_id] = (rank, contact)
    for line in lines:
        line.phone_contact = best.get(line.client.pk, (None, None))[1]


def my_day(*, user: User, today: dt.date | None = None) -> MyDay:
    from django.db.models import Count, Sum

    from clients.models import MANAGED_STATUSES
    from flags import priority
    from flags.models import Flag, FlagStatus, PushState
    from interactions.models import FollowUp, FollowUpStatus

    today = today or timezone.localdate()
    mine = Client.objects.filter(owner=user, archived_at__isnull=True, status__in=MANAGED_STATUSES)
    open_flags = Flag.objects.filter(assigned_to=user, status=FlagStatus.OPEN, client__archived_at__isnull=True)
    flags = list(open_flags.filter(push_state=PushState.PUSHED).select_related("client", "rule"))
    held_back = open_flags.filter(push_state=PushState.HELD).count()
    followups = list(
        FollowUp.objects.filter(
            owner=user, status=FollowUpStatus.OPEN, due_date__lte=today, client__archived_at__isnull=True
        )
        .select_related("client")
        .order_by("due_date", "pk")[:50]
    )
    contact = list(
        mine.filter(contact_due_on__lte=today + dt.timedelta(days=3))
        .order_by("contact_due_on", "name")
        .only(*CLIENT_FIELDS, "contact_due_on", "contact_cadence_days", "preferred_channel", "last_contact_at")[:60]
    )
    quarter_start = Quarter.containing(today).start
    reviews_due = list(
        mine.filter(Q(last_review_on__isnull=True) | Q(last_review_on__lt=quarter_start))
        .order_by("-is_key_account", "-arr", "name")
        .only("pk", "name", "is_key_account", "last_review_on", "arr")[:25]
    )
    upcoming = list(
        mine.filter(renewal_date__lte=today + dt.timedelta(days=90)).order_by("renewal_date").only(*CLIENT_FIELDS)
    )
    # A live client whose renewal date has passed has not been renewed (or not recorded): top of the list.
    renewals_overdue = [c for c in upcoming if c.renewal_date < today]
    renewals = {30: [], 60: [], 90: []}
    for client in upcoming:
        if client.renewal_date < today:
            continue
        days = (client.renewal_date - today).days
        renewals[30 if days <= 30 else 60 if days <= 60 else 90].append(client)
    reasons = _reasons_by_client(flags=flags, followups=followups, contact=contact, renewals=upcoming, today=today)
    stakes = priority.client_stakes(clients=[client for client, _r in reasons.values()], today=today)
    lines = [
        ClientLine(
            client=client,
            reasons=sorted(items, key=lambda r: -r.severity),
            priority=priority.priority(
                severity=max(r.severity for r in items), stakes=stakes[client.pk], reasons=len(items)
            ),
        )
        for client, items in reasons.values()
    ]
    lines.sort(key=lambda line: (-line.priority.score, line.client.name, line.client.pk))
    _attach_phone_contacts(lines[:DAILY_LINE_CAP])
    bands = list(
        HealthScore.objects.filter(client__in=mine, date=today)
        .values("band", "client__currency")
        .annotate(n=Count("id"), arr=Sum("client__arr"))
        .order_by("band")
    )
    return MyDay(
        today=today,
        lines=lines[:DAILY_LINE_CAP],
        more_lines=max(0, len(lines) - DAILY_LINE_CAP),
        held_back=held_back,
        followups_overdue=[f for f in followups if f.due_date < today],
        followups_today=[f for f in followups if f.due_date == today],
        contact_overdue=[c for c in contact if c.contact_due_on < today],
        contact_soon=[c for c in contact if c.contact_due_on >= today],
        reviews_due=reviews_due,
        renewals=renewals,
        bands=_band_totals(bands),
        clients=mine.count(),
        renewals_overdue=sorted(renewals_overdue, key=lambda c: c.renewal_date),
    )


def _band_totals(rows: list[dict]) -> list[tuple[str, int, MoneyTotals]]:
    """(band, clients, ARR per currency), worst band first, from rows grouped by band and client currency."""
    totals: dict[str, tuple[list[int], MoneyTotals]] = {}
    for row in rows:
        count, arr = totals.setdefault(row["band"], ([0], MoneyTotals()))
        count[0] += row["n"]
        arr.add(row["arr"], row["client__currency"])
    order = {"red": 0, "yellow": 1, "green": 2}
    return [
        (band, count[0], arr) for band, (count, arr) in sorted(totals.items(), key=lambda item: order.get(item[0], 9))
    ]


# --- portfolio (team lead) ---------------------------------------------------------------------


@dataclass
class AmRow:
    owner_id: int | None
    name: str
    clients: int = 0
    arr: MoneyTotals = field(default_factory=MoneyTotals)
    open_flags: int = 0
    overdue_followups: int = 0
    contacted_within_cadence: int = 0
    reviewed_this_quarter: int = 0
    pending_handoffs: int = 0
    arr_base: Any = None  # ``arr`` in the base currency on the portfolio's day (None: a rate is missing)

    @property
    def contact_rate(self) -> float:
        return 100.0 * self.contacted_within_cadence / self.clients if self.clients else 0.0

    @property
    def review_rate(self) -> float:
        return 100.0 * self.reviewed_this_quarter / self.clients if self.clients else 0.0


@dataclass(frozen=True)
class RiskyAccount:
    client: Client
    score: float
    band: str
    weakest: str

    @property
    def client_id(self) -> int:
        return self.client.pk


@dataclass(frozen=True)
class OverdueRenewal:
    client_id: int
    name: str
    renewal_date: dt.date
    days_overdue: int


@dataclass
class Portfolio:
    as_of: dt.date
    clients: int
    arr: MoneyTotals
    scored: int
    bands: list[tuple[str, int, MoneyTotals]]
    trend: list[tuple[dt.date, float | None]]  # one point per week (its last day), None: no score stored that week
    per_am: list[AmRow]
    riskiest: list
    open_flags: int
    arr_converted: Any = None  # contracts.selectors.Conversion of ``arr`` to the base currency on ``as_of``
    scores_stored: bool = True  # False: no score was stored for ``as_of`` (the band figures are empty, not zero)
    latest_scored_before: dt.date | None = None  # the nearest earlier day with stored scores, when none on as_of
    renewals_overdue: list[OverdueRenewal] = field(default_factory=list)

    @property
    def arr_at_risk(self) -> MoneyTotals:
        return sum((arr for band, _, arr in self.bands if band == "red"), MoneyTotals())

    @property
    def arr_watch(self) -> MoneyTotals:
        return sum((arr for band, _, arr in self.bands if band == "yellow"), MoneyTotals())

    def in_base(self, totals: MoneyTotals):
        """``totals`` in the base currency with the rates the portfolio total used (no query); None if a rate is
        missing (a partial sum would mislead)."""
        return _in_base(totals, self.arr_converted)

    @property
    def band_rows(self) -> list[tuple[str, int, MoneyTotals, Any]]:
        """(band, clients, ARR per currency, ARR in the base currency or None)."""
        return [(band, n, arr, self.in_base(arr)) for band, n, arr in self.bands]

    @property
    def arr_at_risk_base(self):
        return self.in_base(self.arr_at_risk)

    @property
    def arr_watch_base(self):
        return self.in_base(self.arr_watch)

    @property
    def base_currency(self) -> str:
        return self.arr_converted.base_currency if self.arr_converted is not None else ""

    @property
    def chart_data(self) -> dict[str, Any]:
        return {
            "bands": [
                {"band": band, "label": _band_label(band), "clients": n, "arr": arr.as_json()}
                for band, n, arr in self.bands
            ],
            "arr_base": [
                {"band": band, "amount": None if (v := self.in_base(arr)) is None else float(v)}
                for band, _n, arr in self.bands
            ],
            "base_currency": self.base_currency,
            "trend": [{"x": day.isoformat(), "y": None if avg is None else round(avg, 1)} for day, avg in self.trend],
        }


def _band_label(band: str) -> str:
    """The band's name for the reader (the charts show it; the code stays in ``band`` for the colours)."""
    try:
        return str(Band(band).label)
    except ValueError:
        return band


def _in_base(totals: MoneyTotals, conversion) -> Any:
    """Convert with the rates of an existing conversion (same day): currencies it could not convert give None."""
    from decimal import ROUND_HALF_UP, Decimal

    if conversion is None:
        return None
    rates = {r.currency: r.rate for r in conversion.rates}
    rates[conversion.base_currency] = Decimal(1)
    total = Decimal(0)
    for currency, amount in totals.items():
        if currency not in rates:
            return None
        total += amount * rates[currency]
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _with_base(rows: list[AmRow], conversion) -> None:
    for row in rows:
        row.arr_base = _in_base(row.arr, conversion)


TREND_WEEKS = 12


def portfolio_scope(
    *, user: User, owner_id: int | None = None, segment: str = "", key_only: bool = False, team_id=None
):
    from clients.models import MANAGED_STATUSES
    from users import permissions as rules

    scope = Client.objects.filter(rules.portfolio_q(user), archived_at__isnull=True, status__in=MANAGED_STATUSES)
    return _filtered(scope, owner_id=owner_id, segment=segment, key_only=key_only, team_id=team_id)


def _filtered(scope, *, owner_id=None, segment="", key_only=False, team_id=None):
    if owner_id:
        scope = scope.filter(owner_id=owner_id)
    if segment:
        scope = scope.filter(segment=segment)
    if key_only:
        scope = scope.filter(is_key_account=True)
    if team_id:
        scope = scope.filter(team_id=team_id)
    return scope


def _clients_as_of(*, user: User, as_of: dt.date, **filters):
    """The clients of the user's portfolio that were live on ``as_of`` by their dated lifecycle (onboarding,
    active or paused that day; not archived yet), whatever their status now. Two queries."""
    from clients.selectors import live_client_ids
    from users import permissions as rules

    end_of_day = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))
    candidates = _filtered(
        Client.objects.filter(rules.portfolio_q(user)).filter(
            Q(archived_at__isnull=True) | Q(archived_at__gte=end_of_day)
        ),
        **filters,
    )
    ids = list(candidates.values_list("pk", flat=True))
    return Client.objects.filter(pk__in=sorted(live_client_ids(on_date=as_of, client_ids=ids)))


def _arr_as_of(rows: list, as_of: dt.date) -> dict[int, tuple[Any, str]]:
    """Each client's ARR on ``as_of`` per currency from its contracts in force that day (one query); a client with
    no agreed contract at all keeps its typed figure (nothing dates it)."""
    from contracts.models import BINDING_STATUSES, Contract
    from contracts.selectors import annual_value, in_force_on

    ids = [row[0] for row in rows]
    contracted: dict[int, MoneyTotals] = {}
    for contract in Contract.objects.filter(client_id__in=ids, status__in=BINDING_STATUSES).only(
        "client_id", "status", "start_date", "end_date", "terminated_on", "value", "term_months", "kind", "currency"
    ):
        totals = contracted.setdefault(contract.client_id, MoneyTotals())
        if in_force_on(contract, as_of):
            totals.add(annual_value(contract), contract.currency)
    return {
        pk: contracted[pk] if pk in contracted else MoneyTotals({currency: arr})
        for pk, _o, _u, _f, _l, arr, currency, *_rest in rows
    }


def portfolio(
    *,
    user: User,
    as_of: dt.date,
    owner_id: int | None = None,
    segment: str = "",
    key_only: bool = False,
    team_id: int | None = None,
) -> Portfolio:
    """The team's book of business as it stood on ``as_of``, any past day: the clients live that day (the dated
    lifecycle), their ARR that day (contracts in force, converted to the base currency with that day's rates), the
    scores stored for that day, flags and follow-ups as they were. A constant number of queries."""
    from django.db.models import Avg, Count

    from clients.models import Handoff, HandoffStatus
    from contracts.selectors import convert
    from flags.models import Flag
    from interactions.models import FollowUp, FollowUpStatus
    from interactions.selectors import last_contacts
    from reviews.models import AccountReview

    scope = _clients_as_of(user=user, as_of=as_of, owner_id=owner_id, segment=segment, key_only=key_only,
                           team_id=team_id)  # fmt: skip
    rows = list(
        scope.values_list(
            "pk",
            "owner_id",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
            "arr",
            "currency",
            "contact_cadence_days",
            "name",
            "renewal_date",
        ).order_by("pk")
    )
    owner_of = {row[0]: row[1] for row in rows}
    # An explicit id list keeps every query below on its (client, …) index, whatever the scope's filters.
    ids = list(owner_of)
    arr_then = _arr_as_of(rows, as_of)
    per_am: dict[int | None, AmRow] = {}
    for pk, owner, username, first, last, *_rest in rows:
        row = per_am.setdefault(owner, AmRow(owner, f"{first} {last}".strip() or username or _("(no owner)")))
        row.clients += 1
        row.arr = row.arr + arr_then[pk]
    end_of_day = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))
    last_contact = last_contacts(as_of=as_of, client_ids=ids)
    for pk, owner, *_rest in rows:
        cadence = _rest[5]
        latest = last_contact.get(pk)
        if latest is not None and latest.days_before(as_of) <= cadence:
            per_am[owner].contacted_within_cadence += 1
    live_then = Q(opened_on__lte=as_of) & (Q(closed_on__isnull=True) | Q(closed_on__gt=as_of))
    open_flags = 0
    for client_id, count in (
        Flag.objects.filter(live_then, client_id__in=ids)
        .values("client_id")
        .annotate(n=Count("id"))
        .values_list("client_id", "n")
        .order_by()
    ):
        per_am[owner_of[client_id]].open_flags += count
        open_flags += count
    overdue_then = Q(due_date__lt=as_of, created_at__lt=end_of_day) & (
        Q(status=FollowUpStatus.OPEN) | Q(completed_at__gte=end_of_day)
    )
    for client_id, count in (
        FollowUp.objects.filter(overdue_then, client_id__in=ids)
        .values("client_id")
        .annotate(n=Count("id"))
        .values_list("client_id", "n")
        .order_by()
    ):
        per_am[owner_of[client_id]].overdue_followups += count
    quarter = Quarter.containing(as_of)
    for client_id in (
        AccountReview.objects.filter(
            client_id__in=ids, year=quarter.year, quarter=quarter.quarter, held_on__isnull=False, held_on__lte=as_of
        )
        .values_list("client_id", flat=True)
        .distinct()
    ):
        per_am[owner_of[client_id]].reviewed_this_quarter += 1
    for to_am, count in (
        Handoff.objects.filter(status=HandoffStatus.PENDING, to_am_id__in=[k for k in per_am if k])
        .values("to_am_id")
        .annotate(n=Count("id"))
        .values_list("to_am_id", "n")
        .order_by()
    ):
        per_am[to_am].pending_handoffs += count
    # One pass over the day's scores gives the band mix and the riskiest accounts.
    day_scores = list(
        HealthScore.objects.filter(client_id__in=ids, date=as_of).values_list("client_id", "score", "band", "weakest")
    )
    totals: dict[str, tuple[list[int], MoneyTotals]] = {}
    for client_id, _score, band, _weakest in day_scores:
        count, arr = totals.setdefault(band, ([0], MoneyTotals()))
        count[0] += 1
        totals[band] = (count, arr + arr_then[client_id])
    order = {"red": 0, "yellow": 1, "green": 2}
    bands = [(band, c[0], arr) for band, (c, arr) in sorted(totals.items(), key=lambda i: order.get(i[0], 9))]
    latest_before = None
    if not day_scores and ids:
        latest_before = (
            HealthScore.objects.filter(client_id__in=ids, date__lt=as_of)
            .order_by("-date")
            .values_list("date", flat=True)
            .first()
        )
    # Riskiest first; between equal scores the larger ARR (an ordering, so the currencies need not be added).
    worst = sorted(day_scores, key=lambda row: (row[1], -arr_then[row[0]].largest()))[:20]
    clients_by_id = Client.objects.select_related("owner").in_bulk([row[0] for row in worst])
    # The weakest component in the reader's language: its label phrase, read for these 20 only.
    parts = dict(
        HealthScore.objects.filter(client_id__in=[row[0] for row in worst], date=as_of).values_list(
            "client_id", "components"
        )
    )
    riskiest = [
        RiskyAccount(
            client=clients_by_id[client_id],
            score=score,
            band=band,
            weakest=weakest_in_words(weakest, parts.get(client_id)),
        )
        for client_id, score, band, weakest in worst
        if client_id in clients_by_id
    ]
    # The average of the scores stored in each of the 12 weeks up to as_of (a week ends on as_of, as_of - 7…): one
    # aggregate query, one point per week even when a week's scores were computed on another weekday.
    week_ends = [as_of - dt.timedelta(weeks=k) for k in range(TREND_WEEKS - 1, -1, -1)]
    weekly = HealthScore.objects.filter(
        client_id__in=ids, date__gt=week_ends[0] - dt.timedelta(days=7), date__lte=as_of
    ).aggregate(
        **{
            f"w{i}": Avg("score", filter=Q(date__gt=end - dt.timedelta(days=7), date__lte=end))
            for i, end in enumerate(week_ends)
        }
    )
    arr = sum(arr_then.values(), MoneyTotals())
    conversion = convert(arr, on_date=as_of)
    rows_am = sorted(per_am.values(), key=lambda row: (-row.open_flags, -row.arr.largest()))
    _with_base(rows_am, conversion)
    overdue = sorted(
        (
            OverdueRenewal(client_id=row[0], name=row[8], renewal_date=row[9], days_overdue=(as_of - row[9]).days)
            for row in rows
            if row[9] is not None and row[9] < as_of
        ),
        key=lambda r: (r.renewal_date, r.name),
    )
    return Portfolio(
        as_of=as_of,
        clients=len(rows),
        arr=arr,
        scored=len(day_scores),
        bands=bands,
        trend=[(end, weekly[f"w{i}"]) for i, end in enumerate(week_ends)],
        per_am=rows_am,
        riskiest=riskiest,
        open_flags=open_flags,
        arr_converted=conversion,
        scores_stored=bool(day_scores),
        latest_scored_before=latest_before,
        renewals_overdue=overdue,
    )


# --- search and export -------------------------------------------------------------------------


SEARCH_DROPDOWN_LIMIT = 8
SEARCH_PAGE_LIMIT = 50


@dataclass
class SearchResults:
    clients: list
    contacts: list
    more_clients: bool = False
    more_contacts: bool = False

    @property
    def has_more(self) -> bool:
        return self.more_clients or self.more_contacts

    def __iter__(self):  # (clients, contacts), as callers unpacked it before
        return iter((self.clients, self.contacts))


SEARCH_MIN_INFIX = 3  # shorter terms match the start of a word only


def _term_q(text, term: str, *, heads_of=None) -> Q:
    """``term`` (folded) in the folded ``text`` (a column or core.search.SearchText): anywhere from 3 letters (the
    trigram index on ``crm_fold(text)``); a term of 1-2 letters only at the start of a word ("mu" finds Müller, not
    Samuel; the GIN index on ``crm_word_heads(text)``, or on ``crm_word_heads(heads_of)`` when given): what someone
    typing two letters means, and what an index can answer (trigrams need three letters). The expressions are
    those of the indexes of clients' migration 0015, else PostgreSQL reads every row."""
    from django.db.models.lookups import Contains

    from core.search import Fold, StartsAWord

    if len(term) >= SEARCH_MIN_INFIX:
        return Q(Contains(Fold(text), term))
    return Q(StartsAWord(text if heads_of is None else heads_of, term))


def global_search_querysets(*, user: User, query: str):
    """The dropdown's two querysets (clients, contacts) for ``query``, or None when there is nothing to search."""
    from django.db.models.lookups import Contains

    from clients.models import Contact
    from core.search import PHONE_MATCH_DIGITS, Blank, Fold, SearchText, Unindexed, fold, phone_digits, phone_e164
    from users import permissions as rules

    query = query.strip()
    terms = [fold(term) for term in query.split()[:4]]
    if not terms or len(query) < 2:
        return None
    folded = fold(query)
    digits = phone_digits(query)
    # A caller id: enough digits and nothing but a phone's punctuation. The last digits identify the
    # number whatever the prefix (+49 30 …, 0049 30 …, 030 …).
    phone_like = len(digits) >= 4 and not re.sub(r"[\d\s+()./-]", "", query)
    caller_id = phone_like and len(digits) >= PHONE_MATCH_DIGITS
    # A client's name and external id as one text, "name id": every term in the name or the id (a partial id too;
    # "acme 0012" finds Acme, SF-0012345), through one index, with no OR that PostgreSQL would test row by row.
    # Terms of 1-2 letters match the start of a word of the name only: two letters of an id match every id with
    # the same prefix (SF-…), and would make PostgreSQL test crm_word_heads on every client.
    client_text = SearchText("name", Blank("external_id"))
    if caller_id:  # a whole phone number is no part of a client's name: only an id written the same way
        client_q = Q(Contains(Fold(client_text), folded))
    else:
        client_q = Q()
        for term in terms:
            client_q &= _term_q(client_text, term, heads_of="name")
    clients = (
        Client.objects.filter(rules.portfolio_q(user), archived_at__isnull=True)
        .filter(client_q)
        .select_related("owner")
        .only("pk", "name", "external_id", "status", "owner__username", "owner__first_name", "owner__last_name")
        .order_by(Unindexed("name"), "pk")  # the matches sorted, not the name index walked (core.search)
    )
    # Names and e-mail as one text, "first last email": a term without spaces is in one of them exactly when it
    # is in the text, and one index (trigram, word heads) serves the three columns.
    contact_text = SearchText("first_name", "last_name", "email")
    contact_q = Q()
    for term in terms:
        contact_q &= _term_q(contact_text, term)
    if phone_like:
        if caller_id:
            # A whole caller id is a phone number, not part of a name or an e-mail: matching its digits against
            # every e-mail's trigrams ("jan.4930@…") only costs time.
            contact_q = Q(pk__in=[])
        contact_q |= (
            Q(phone_digits__endswith=digits[-PHONE_MATCH_DIGITS:]) if caller_id else Q(phone_digits__contains=digits)
        )
        # The caller id in E.164 finds the contact stored in any format of the same number (exact, indexed).
        e164 = phone_e164(query)
        if e164:
            contact_q |= Q(phone_e164=e164)
    contacts = (
        Contact.objects.filter(rules.portfolio_q(user, prefix="client__"), client__archived_at__isnull=True)
        .filter(contact_q)
        .select_related("client")
        .only("pk", "first_name", "last_name", "email", "phone", "role", "is_active", "client__name")
        .order_by("last_name", "first_name", "pk")
    )
    return clients, contacts


def global_search(*, user: User, query: str, limit: int = SEARCH_DROPDOWN_LIMIT) -> SearchResults:
    """Clients (name, external id, partial too) and contacts (name, e-mail, phone in any format) the user
    may see, accent- and case-insensitive (core.search.Fold: unaccent on PostgreSQL, Python on SQLite).
    Two queries, each served by an index on PostgreSQL (see _term_q and global_search_querysets). One more row
    than shown is read per group, so the dropdown can say that there is more."""
    querysets = global_search_querysets(user=user, query=query)
    if querysets is None:
        return SearchResults([], [])
    clients = list(querysets[0][: limit + 1])
    contacts = list(querysets[1][: limit + 1])
    return SearchResults(
        clients=clients[:limit],
        contacts=contacts[:limit],
        more_clients=len(clients) > limit,
        more_contacts=len(contacts) > limit,
    )


def export_rows(*, queryset, today: dt.date):
    """Rows for a mailing tool (Mailchimp, Intercom): one line per client, contacts' e-mails joined."""
    from django.db.models import OuterRef, Prefetch, Subquery

    from clients.models import Contact

    latest = HealthScore.objects.filter(client=OuterRef("pk"), date__lte=today).order_by("-date")
    rows = (
        queryset.select_related("owner")
        .annotate(health=Subquery(latest.values("score")[:1]), band=Subquery(latest.values("band")[:1]))
        .prefetch_related(
            Prefetch(
                "contacts", queryset=Contact.objects.filter(is_active=True).exclude(email="").only("client_id", "email")
            )
        )
    )
    yield [
        "name", "external_id", "owner", "owner_email", "segment", "status", "key_account", "arr", "currency",
        "renewal_date", "health_score", "health_band", "contact_emails",
    ]  # fmt: skip
    for client in rows.iterator(chunk_size=500):
        yield [
            client.name,
            client.external_id or "",
            str(client.owner or ""),
            client.owner.email if client.owner else "",
            client.segment,
            client.status,
            "yes" if client.is_key_account else "no",
            f"{client.arr:.2f}",
            client.currency,
            client.renewal_date.isoformat() if client.renewal_date else "",
            "" if client.health is None else f"{client.health:.0f}",
            client.band or "",
            "; ".join(c.email for c in client.contacts.all()),
        ]


# --- audience exports for mailing tools ------------------------------------------------------------------------

AUDIENCE_FORMATS = ("mailchimp", "intercom")
# Mailchimp's import maps "Email Address", "First Name", "Last Name" to EMAIL, FNAME, LNAME; "Tags" becomes tags.
MAILCHIMP_HEADER = [
    "Email Address", "First Name", "Last Name", "Company", "Role", "Account Owner", "Segment", "Health Band",
    "Renewal Month", "Tags",
]  # fmt: skip
# Intercom's user import: one user per row with its company; the other columns become custom attributes.
INTERCOM_HEADER = [
    "Email", "Name", "User ID", "Company Name", "Company ID", "Role", "Account Owner", "Segment", "Health Band",
    "Renewal Month",
]  # fmt: skip


@dataclass(frozen=True)
class AudienceCounts:
    exported: int
    left_the_client: int
    without_email: int


def _audience_contacts(queryset):
    from clients.models import Contact

    return Contact.objects.filter(client__in=queryset.order_by().values("pk"))


def audience_counts(*, queryset) -> AudienceCounts:
    """How many contacts of these clients an audience export holds, and how many it leaves out and why."""
    from django.db.models import Count

    counts = _audience_contacts(queryset).aggregate(
        exported=Count("pk", filter=Q(is_active=True) & ~Q(email="")),
        left=Count("pk", filter=Q(is_active=False)),
        no_email=Count("pk", filter=Q(is_active=True, email="")),
    )
    return AudienceCounts(counts["exported"], counts["left"], counts["no_email"])


def audience_rows(*, queryset, today: dt.date, shape: str):
    """One row per reachable contact (still at the client, with an e-mail), in ``shape``'s columns."""
    from django.db.models import OuterRef, Subquery

    latest = HealthScore.objects.filter(client=OuterRef("client_id"), date__lte=today).order_by("-date")
    contacts = (
        _audience_contacts(queryset)
        .filter(is_active=True)
        .exclude(email="")
        .select_related("client", "client__owner")
        .annotate(band=Subquery(latest.values("band")[:1]))
        .order_by("client__name", "client_id", "last_name", "first_name", "pk")
    )
    yield MAILCHIMP_HEADER if shape == "mailchimp" else INTERCOM_HEADER
    for contact in contacts.iterator(chunk_size=1000):
        client = contact.client
        owner = client.owner.get_full_name() or client.owner.username if client.owner else ""
        renewal = client.renewal_date.strftime("%Y-%m") if client.renewal_date else ""
        role, segment, band = contact.get_role_display(), client.get_segment_display(), contact.band or ""
        if shape == "mailchimp":
            tags = [segment, f"health {band}" if band else "", "key account" if client.is_key_account else ""]
            yield [
                contact.email, contact.first_name, contact.last_name, client.name, role, owner, segment, band,
                renewal, ", ".join(tag for tag in tags if tag),
            ]  # fmt: skip
        else:
            yield [
                contact.email, f"{contact.first_name} {contact.last_name}".strip(), f"crm-contact-{contact.pk}",
                client.name, client.external_id or f"crm-client-{client.pk}", role, owner, segment, band, renewal,
            ]  # fmt: skip


# --- the weekly activity report (leads) ------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    """One AM's week (``person``), or a team's total (``person`` None)."""

    team: Any
    person: User | None
    calls: int = 0
    meetings: int = 0
    emails: int = 0
    commitments_due: int = 0  # client commitments whose date (promised, else internal) fell in the week
    commitments_kept: int = 0  # ... done by that date
    commitments_late: int = 0  # ... not done by that date, which has passed

    @property
    def contacts(self) -> int:
        return self.calls + self.meetings + self.emails


@dataclass(frozen=True)
class ActivityReport:
    week: Any  # core.dates.Week
    rows: list[ActivityRow]  # people, grouped by team (team name, then name)
    team_totals: list[ActivityRow]

    @property
    def is_empty(self) -> bool:
        return not self.rows


ACTIVITY_KINDS = {"call": "calls", "meeting": "meetings", "email": "emails"}


def activity_report(*, user: User, week, today: dt.date, team_id: int | None = None) -> ActivityReport:
    """Calls, meetings and e-mails logged per AM in the week, and their client commitments due that week, kept or
    late, for the teams ``user`` oversees (a lead: their team; an admin: every team or ``team_id``). Three queries
    whatever the team size."""
    from django.db.models import Count, F
    from django.db.models.functions import Coalesce

    from interactions.models import FollowUp, FollowUpStatus, Interaction
    from users import permissions as rules
    from users.models import Role

    people_q = Q(role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD], is_active=True, team__isnull=False)
    if not user.is_admin_role:
        people_q &= Q(team_id=user.team_id) if user.team_id else Q(pk__in=[])
    elif team_id:
        people_q &= Q(team_id=team_id)
    people = list(User.objects.filter(people_q).select_related("team").order_by("team__name", "first_name", "pk"))
    ids = [p.pk for p in people]
    start, end = week.bounds()
    counts: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    for author_id, kind, n in (
        Interaction.objects.filter(
            rules.portfolio_q(user, prefix="client__"),
            author_id__in=ids,
            kind__in=list(ACTIVITY_KINDS),
            occurred_at__gte=start,
            occurred_at__lt=end,
            deleted_at__isnull=True,
        )
        .values("author_id", "kind")
        .annotate(n=Count("pk"))
        .values_list("author_id", "kind", "n")
    ):
        counts[author_id][ACTIVITY_KINDS[kind]] = n
    kept_q = Q(status=FollowUpStatus.DONE, completed_at__date__lte=F("deadline"))
    for owner_id, due, kept, late in (
        FollowUp.objects.filter(rules.portfolio_q(user, prefix="client__"), owner_id__in=ids, is_commitment=True)
        .exclude(status=FollowUpStatus.CANCELLED)
        .annotate(deadline=Coalesce("promised_date", "due_date"))
        .filter(deadline__gte=week.start, deadline__lte=week.end)
        .values("owner_id")
        .annotate(
            due=Count("pk"),
            kept=Count("pk", filter=kept_q),
            late=Count("pk", filter=Q(deadline__lt=today) & ~kept_q),
        )
        .values_list("owner_id", "due", "kept", "late")
    ):
        counts[owner_id].update(commitments_due=due, commitments_kept=kept, commitments_late=late)
    rows = [ActivityRow(team=p.team, person=p, **counts[p.pk]) for p in people]
    totals: dict[int, dict[str, int]] = {}
    teams: dict[int, Any] = {}
    numeric = ("calls", "meetings", "emails", "commitments_due", "commitments_kept", "commitments_late")
    for row in rows:
        teams[row.team.pk] = row.team
        total = totals.setdefault(row.team.pk, dict.fromkeys(numeric, 0))
        for name in numeric:
            total[name] += getattr(row, name)
    return ActivityReport(
        week=week,
        rows=rows,
        team_totals=[ActivityRow(team=teams[pk], person=None, **values) for pk, values in totals.items()],
    )


def activity_csv_rows(report: ActivityReport):
    """The report as spreadsheet rows (header first): one per AM, then each team's total."""
    yield [
        _("Week"), _("Team"), _("Account manager"), _("Calls"), _("Meetings"), _("E-mails"),
        _("Commitments due"), _("Commitments kept"), _("Commitments late"),
    ]  # fmt: skip
    for row in [*report.rows, *report.team_totals]:
        yield [
            report.week.iso, row.team.name, str(row.person) if row.person else _("Team total"), row.calls,
            row.meetings, row.emails, row.commitments_due, row.commitments_kept, row.commitments_late,
        ]  # fmt: skip
