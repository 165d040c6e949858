"""Every fact a trigger rule reads, as of a day: one grouped query per kind of fact, for a whole chunk of clients.

The morning run and the back-test both read through :func:`facts_as_of`, so a replay of a past day sees what the
rules saw (or would have seen) that day:

- lifecycle: the client is evaluated only while it is live on the day (clients.selectors.live_client_ids);
- owner, segment, team, cadence, renewal date: the client's audit history (django-simple-history);
- reviews held by then: the reviews' own audit history, through the provider the reviews app registers (core.providers);
- commitments (created, due-date changes, done or cancelled) and stakeholders who left: their audit history;
- last contact: interactions that happened by the end of the day;
- NPS answers: received on or before the day and recorded by ``known_at``, through a provider the surveys app
  registers;
- invoices overdue and closing documents unsigned: by their own dates (due, paid, sent for signature, signed;
  contracts.selectors.billing_facts_as_of), entered by ``known_at``;
- KPI values: by their own dates, as stored at ``known_at`` (a value pushed later is not read by an earlier
  morning; a value corrected later drops out of that morning's replay); health scores by their dates.

``known_at`` is the moment the facts were read. The morning run passes its start time and the back-test passes the
start time of the run stored for that day, so the replay of a day that had a run reproduces it exactly, whatever was
recorded or corrected afterwards. A day without a stored run (before the product ran, or history imported later) is
read as the records stand now: each fact by its own date, and the audit history up to the end of that day, falling
back to the current record where the history has nothing older.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from clients import selectors as client_selectors
from clients.models import Client, Contact
from contracts.selectors import billing_facts_as_of
from core.dates import Quarter, start_of_local_day
from core.history import VersionsOverTime, versions_at
from core.providers import LAST_REVIEW, NPS_ANSWERS, providers
from flags import rules
from health.models import HealthScore
from interactions.models import FollowUp, FollowUpStatus
from interactions.selectors import ContactHistory, last_contacts
from kpis.models import Metric
from kpis.selectors import KpiWindowsOverDays, kpi_last_dates, kpi_windows
from kpis.windows import FRESHNESS_LOOKBACK_DAYS

MAX_LEFT_DAYS = 365
CLIENT_FIELDS = ["segment", "team_id", "owner_id", "contact_cadence_days", "renewal_date", "last_review_on"]
FOLLOWUP_FIELDS = ["client_id", "title", "due_date", "status", "is_commitment", "created_at"]
CONTACT_FIELDS = ["client_id", "first_name", "last_name", "role", "is_active", "left_on"]
NOTHING: Mapping = MappingProxyType({})  # an empty fact, shared (read-only) by every client that has none


@dataclass(slots=True)  # not frozen, like rules.RuleInputs: one per client and day of a back-test
class ClientFacts:
    """What the rules read about one live client on one day, and who owned it then."""

    client_id: int
    owner_id: int | None
    inputs: rules.RuleInputs


class FactsCache:
    """What a replay of many days reads once for all of them (the lifecycle, the audit histories of clients,
    commitments, contacts and reviews, the calls, the KPI definitions, and the values the KPI windows of the period
    reach), so a replayed day costs no query but its health scores and KPI arrival dates, for the rules that read
    them. facts_as_of answers the same with or without it.

    ``windows`` and ``start``..``end``: the KPI windows the rules read and the period replayed (without them each day
    reads its windows with a query); ``known_at``: some days are read as recorded at a moment (days with a stored
    morning run), so the values' stored times are read too. ``commitments``, ``stakeholders``, ``calls``: whether the
    rules read them (what they do not read is not loaded).
    """

    def __init__(
        self,
        *,
        client_ids: Sequence[int],
        windows: set[tuple[str, int, int]] = frozenset(),
        start: dt.date | None = None,
        end: dt.date | None = None,
        known_at: bool = True,
        commitments: bool = True,
        stakeholders: bool = True,
        calls: bool = True,
    ) -> None:
        ids = list(client_ids)
        self.lifecycle = client_selectors.LiveOverDays(client_ids=ids)
        self.clients = VersionsOverTime(
            Client.history.filter(id__in=ids), fields=CLIENT_FIELDS, current=Client.objects.filter(pk__in=ids)
        )
        self.commitments = (
            VersionsOverTime(
                FollowUp.history.filter(client_id__in=ids, is_commitment=True),
                fields=FOLLOWUP_FIELDS,
                current=FollowUp.objects.filter(client_id__in=ids, is_commitment=True),
            )
            if commitments
            else None
        )
        self.contacts = (
            VersionsOverTime(
                Contact.history.filter(client_id__in=ids),
                fields=CONTACT_FIELDS,
                current=Contact.objects.filter(client_id__in=ids, is_active=False),
            )
            if stakeholders
            else None
        )
        self.calls = ContactHistory(client_ids=ids) if calls else None
        self.metrics = {m.key: m for m in Metric.objects.all()}
        self.windows = (
            KpiWindowsOverDays(
                needed=windows, client_ids=ids, start=start, end=end, metrics=self.metrics, stamps=known_at
            )
            if windows and start is not None and end is not None
            else None
        )
        self.providers: dict = {"client_ids": ids}  # for the review providers' own caches


def end_of_day(day: dt.date) -> dt.datetime:
    return start_of_local_day(day + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)


def _versions(history, *, moment: dt.datetime, fields: list[str], current) -> dict[int, dict]:
    """Each object's fields as recorded at ``moment``; an object with no version that old (written in bulk, or
    before its history was kept) reads as it is now."""
    found = versions_at(history, moment=moment, fields=fields)
    for row in current.exclude(pk__in=list(found)).values("pk", *fields):
        row["id"] = row.pop("pk")
        found[row["id"]] = row
    return found


def facts_as_of(
    *,
    client_ids: Sequence[int],
    day: dt.date,
    windows: set[tuple[str, int, int]] = frozenset(),
    lookbacks: set[int] = frozenset(),
    known_at: dt.datetime | None = None,
    replay: bool = False,
    freshness: bool = False,
    health_scores: bool = True,
    billing: bool = False,
    last_contact: bool = True,
    commitments: bool = True,
    stakeholders: bool = True,
    reviews: bool = True,
    survey_answers: bool = False,
    cache: FactsCache | None = None,
) -> list[ClientFacts]:
    """Every fact a rule reads about the clients live on ``day``, as of that day, in a fixed number of queries.

    ``windows`` and ``lookbacks`` are the KPI windows and health-score look-backs the rules need
    (rules.windows_needed, rules.health_lookbacks); ``known_at`` see the module docstring. ``replay``: also read
    the KPI values as stored at ``known_at`` (the morning run itself reads the values stored when its chunk runs:
    the same, but for a chunk redelivered later). ``health_scores``, ``billing``, ``freshness``, ``last_contact``,
    ``commitments``, ``stakeholders``, ``reviews``, ``survey_answers`` (the NPS answers): read those facts
    (rules.needs_*; a fact not read is left at its empty default in RuleInputs, which no rule that does not need it
    reads). ``cache``: what a replay of many days read once (FactsCache); the answer is the same.
    """
    # Strict (a morning run, or the replay of one): the audit history exactly as it stood at ``known_at``. A day
    # run later by hand, or a day without a run, reads the history up to the end of that day, else the record now.
    strict = known_at is not None and known_at <= end_of_day(day)
    moment = known_at if strict else end_of_day(day)
    if cache is not None:
        live = cache.lifecycle.live_on(on_date=day, known_at=known_at) & set(client_ids)
    else:
        live = client_selectors.live_client_ids(on_date=day, client_ids=client_ids, known_at=known_at)
    ids = sorted(live)
    if not ids:
        return []
    wanted = set(ids)
    if cache is not None:
        clients = cache.clients.at(moment)  # read below for the live clients only
    else:
        clients = _versions(
            Client.history.filter(id__in=ids),
            moment=moment,
            fields=CLIENT_FIELDS,
            current=Client.objects.filter(pk__in=ids),
        )
    values_known_at = moment if strict and replay else None
    if not windows:
        metric_windows = {}
    elif (
        cache is not None
        and cache.windows is not None
        and cache.windows.asked == set(windows)
        and cache.windows.start <= day <= cache.windows.end
        and (values_known_at is None or cache.windows.stamps)
    ):
        metric_windows = cache.windows.windows_on(on_date=day, client_ids=ids, known_at=values_known_at)
    else:
        metric_windows = kpi_windows(
            on_date=day,
            needed=windows,
            client_ids=ids,
            known_at=values_known_at,
            metrics=cache.metrics if cache else None,
        )
    if not last_contact:
        contacted = {}
    elif cache is not None and cache.calls is not None:
        contacted = cache.calls.as_of(as_of=day, client_ids=ids, known_at=known_at)
    else:
        contacted = last_contacts(as_of=day, client_ids=ids, known_at=known_at)
    scores: dict[int, dict[dt.date, float]] = defaultdict(dict)
    if health_scores:
        wanted_dates = {day} | {day - dt.timedelta(days=d) for d in lookbacks}
        for client_id, date, score in HealthScore.objects.filter(client_id__in=ids, date__in=wanted_dates).values_list(
            "client_id", "date", "score"
        ):
            scores[client_id][date] = score

    overdue: dict[int, list[tuple[str, int]]] = defaultdict(list)
    if commitments:
        if cache is not None and cache.commitments is not None:
            made_by_then = (lambda row: row["created_at"] <= moment) if strict else None
            promised = {
                pk: row
                for pk, row in cache.commitments.at(moment, fallback=made_by_then).items()
                if row["client_id"] in wanted
            }
        else:
            followups = FollowUp.objects.filter(client_id__in=ids, is_commitment=True)
            if strict:
                followups = followups.filter(created_at__lte=moment)
            promised = _versions(
                FollowUp.history.filter(client_id__in=ids, is_commitment=True),
                moment=moment,
                fields=FOLLOWUP_FIELDS,
                current=followups,
            )
        for row in sorted(promised.values(), key=lambda r: (r["due_date"], r["id"])):
            late = row["is_commitment"] and row["status"] == FollowUpStatus.OPEN and row["due_date"] < day
            if late and (not strict or row["created_at"] <= moment):
                overdue[row["client_id"]].append((row["title"], (day - row["due_date"]).days))

    left: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    if stakeholders:
        if cache is not None and cache.contacts is not None:
            people = {pk: row for pk, row in cache.contacts.at(moment).items() if row["client_id"] in wanted}
        else:
            people = _versions(
                Contact.history.filter(client_id__in=ids),
                moment=moment,
                fields=CONTACT_FIELDS,
                current=Contact.objects.filter(client_id__in=ids, is_active=False),
            )
        for row in sorted(people.values(), key=lambda r: r["id"]):
            gone_on = row["left_on"]
            if row["is_active"] or gone_on is None or not day - dt.timedelta(days=MAX_LEFT_DAYS) < gone_on <= day:
                continue
            name = f"{row['first_name']} {row['last_name']}".strip()
            left[row["client_id"]].append((name, row["role"], (day - gone_on).days))

    reviewed: dict[int, dt.date] = {}
    if reviews:
        for provider in providers(LAST_REVIEW):
            reviewed.update(provider(client_ids=ids, day=day, moment=moment, cache=cache.providers if cache else None))

    # When each KPI last arrived, for the "data stopped arriving" rule (values up to the day: a replay reads
    # only what had arrived by then).
    last_dates = kpi_last_dates(on_date=day, lookback_days=FRESHNESS_LOOKBACK_DAYS, client_ids=ids) if freshness else {}
    bills = billing_facts_as_of(client_ids=ids, day=day, recorded_by=moment if strict else None) if billing else {}
    answers: dict[int, list[tuple[str, int, int]]] = {}
    if survey_answers:
        for provider in providers(NPS_ANSWERS):
            answers.update(provider(client_ids=ids, day=day, moment=moment, cache=cache.providers if cache else None))
    quarter = Quarter.containing(day)
    result = []
    for pk in ids:
        client = clients.get(pk)
        if client is None:
            continue  # not recorded yet at that moment
        contact = contacted.get(pk)
        client_scores = scores.get(pk)
        renewal = client["renewal_date"]
        last_review = (reviewed.get(pk) if providers(LAST_REVIEW) else client["last_review_on"]) if reviews else None
        inputs = rules.RuleInputs(
            client_id=pk,
            segment=client["segment"],
            team_id=client["team_id"],
            windows=metric_windows.get(pk, NOTHING),
            days_since_contact=contact.days_before(day) if contact else None,
            cadence_days=client["contact_cadence_days"],
            score_today=client_scores.get(day) if client_scores else None,
            scores_before={
                d: client_scores[day - dt.timedelta(days=d)]
                for d in lookbacks
                if day - dt.timedelta(days=d) in client_scores
            }
            if client_scores
            else NOTHING,
            overdue_commitments=tuple(overdue[pk]) if pk in overdue else (),
            days_to_renewal=(renewal - day).days if renewal and reviews else None,
            reviewed_this_quarter=bool(last_review and quarter.start <= last_review <= day),
            stakeholders_left=tuple(left[pk]) if pk in left else (),
            kpi_last_seen={key: (day - last).days for key, last in last_dates[pk].items()}
            if pk in last_dates
            else NOTHING,
            overdue_invoices=tuple(bills[pk].overdue_invoices) if pk in bills else (),
            unsigned_closing_documents=tuple(bills[pk].unsigned_closing_documents) if pk in bills else (),
            nps_answers=tuple(answers[pk]) if pk in answers else (),
        )
        result.append(ClientFacts(client_id=pk, owner_id=client["owner_id"], inputs=inputs))
    return result


def rule_inputs(
    *,
    client_ids: Sequence[int],
    on_date: dt.date,
    windows: set[tuple[str, int, int]],
    lookbacks: set[int],
    known_at: dt.datetime | None = None,
    freshness: bool = False,
) -> list[rules.RuleInputs]:
    """The rules' inputs alone (see facts_as_of)."""
    facts = facts_as_of(
        client_ids=client_ids, day=on_date, windows=windows, lookbacks=lookbacks, known_at=known_at, freshness=freshness
    )
    return [item.inputs for item in facts]
