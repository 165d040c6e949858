"""Back-test a rule (saved or draft): replay the morning runs over the last N days, then measure it honestly.

The replay reads each day through the morning run's own ``facts_as_of`` (as recorded when that day's run started,
when there was one) and decides with its own ``flag_step``; it writes nothing. The figures (README, *Reading a
back-test*):

- burn-in: flags the replay opens on its first day are conditions that already held; they are not warnings;
- horizon N (default 90 days): a churn is *warned* when a flag of the rule was live within the N days before it;
- precision: share of the rule's flags followed by a churn or a downgrade of that client within N days;
- base rate: share of live client-days followed by a churn or a downgrade within N days (what a random flag
  would score); lift = precision / base rate (1 is chance);
- recall: share of the period's churns that were warned; lead time: days from the warning's opening to the churn;
- flags per AM per week; and for a saved rule, what AMs did with its real flags (handled with a call, dismissed as
  not useful with their reasons, cleared by the rule itself).
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db.models import Count

from clients import selectors as client_selectors
from clients.models import MANAGED_STATUSES, Client, ClientStatus
from flags import evaluation, facts, rules
from flags.models import EvaluationRun, Flag, Resolution
from kpis import selectors as kpi_selectors
from users import permissions as user_rules
from users.models import User

DEFAULT_HORIZON_DAYS = 90
PERIODS = (90, 180, 365)


@dataclass(frozen=True)
class SimulatedFlag:
    client_id: int
    rule_id: int | None
    opened_on: dt.date
    closed_on: dt.date | None  # None: still live at the end of the replay
    owner_id: int | None


@dataclass
class Replay:
    """What the morning runs would have done over the days, and the live client-days they looked at."""

    flags: list[SimulatedFlag]
    per_day: list[tuple[dt.date, int]]  # flags opened each day
    live_days: dict[int, list[dt.date]]  # client -> the days it was live (evaluated)
    owners: dict[int, int | None]  # client -> its owner on the last day it was live


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a while. A replay builds a few objects per client and day (a year of
    10,000 clients: millions), each freed by its reference count the next day; left on, the collector would trace
    every long-lived object again every other day, a third of the replay's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_moments(*, start: dt.date, end: dt.date) -> dict[dt.date, dt.datetime]:
    """The start time of each stored morning run: the moment its facts were read."""
    return dict(EvaluationRun.objects.filter(date__gte=start, date__lte=end).values_list("date", "started_at"))


def replay(
    *,
    specs: Sequence[evaluation.RuleSpec],
    client_ids: Sequence[int],
    start: dt.date,
    end: dt.date,
    metrics: dict,
    progress: Callable[[int, int], None] | None = None,
) -> Replay:
    """The morning runs of ``start``..``end`` from an empty flag table, in memory: the same facts, the same decision."""
    moments = run_moments(start=start, end=end)
    open_since: dict[tuple[int, int | None], tuple[dt.date, int | None]] = {}  # -> (opened, owner then)
    closed_on: dict[tuple[int, int | None], dt.date] = {}
    by_id = {spec.id: spec for spec in specs}
    flags: list[SimulatedFlag] = []
    per_day: list[tuple[dt.date, int]] = []
    live_days: dict[int, list[dt.date]] = defaultdict(list)
    owners: dict[int, int | None] = {}
    total = (end - start).days + 1
    needed = evaluation.facts_needed(specs)
    cache = (  # read once for every replayed day, as far as these rules read it
        facts.FactsCache(
            client_ids=client_ids,
            windows=needed["windows"],
            start=start,
            end=end,
            known_at=bool(moments),
            commitments=needed["commitments"],
            stakeholders=needed["stakeholders"],
            calls=needed["last_contact"],
        )
        if client_ids
        else None
    )
    with cyclic_gc_paused():  # the days' facts hold no cycles: freed as they go, nothing for the collector
        day = start
        while day <= end:
            facts_of_day = (
                evaluation.facts_for(
                    client_ids=client_ids, on_date=day, specs=specs, known_at=moments.get(day), replay=True, cache=cache
                )
                if client_ids
                else []
            )
            for fact in facts_of_day:
                live_days[fact.client_id].append(day)
                owners[fact.client_id] = fact.owner_id
            matches = evaluation.match_facts(facts=facts_of_day, specs=specs, metrics=metrics)
            evaluated = {fact.client_id for fact in facts_of_day}
            opened = 0
            # As in the morning run, a client that is not live that day is not evaluated: its flags are left alone.
            keys = set(matches) | {key for key in open_since if key[0] in evaluated}
            for key in keys:  # each (client, rule) on its own: the order changes nothing (flags are sorted below)
                spec = by_id[key[1]]
                live = open_since.get(key)
                step = evaluation.flag_step(
                    on_date=day,
                    matched=key in matches,
                    live_opened_on=live[0] if live else None,
                    last_closed_on=closed_on.get(key),
                    cooldown_days=spec.cooldown_days,
                    auto_close=spec.auto_close,
                )
                if step == evaluation.FlagStep.OPEN:
                    open_since[key] = (day, owners.get(key[0]))
                    opened += 1
                elif step == evaluation.FlagStep.CLOSE:
                    since, owner = open_since.pop(key)
                    closed_on[key] = day
                    flags.append(SimulatedFlag(key[0], key[1], since, day, owner))
            per_day.append((day, opened))
            if progress is not None:
                progress((day - start).days + 1, total)
            day += dt.timedelta(days=1)
    flags += [SimulatedFlag(c, r, since, None, owner) for (c, r), (since, owner) in open_since.items()]
    flags.sort(key=lambda f: (f.opened_on, f.client_id, f.rule_id or 0))
    return Replay(flags=flags, per_day=per_day, live_days=dict(live_days), owners=owners)


@dataclass
class LeadTime:
    client: str
    event: str  # "churned" or "downgraded"
    event_date: dt.date
    first_warning: dt.date | None
    churn_reason: str = ""

    @property
    def days_earlier(self) -> int | None:
        return None if self.first_warning is None else (self.event_date - self.first_warning).days


@dataclass
class Handling:
    """What AMs did with the rule's real flags opened in the period."""

    total: int = 0
    handled: int = 0
    dismissed: int = 0
    cleared: int = 0
    live: int = 0
    reasons: list[str] = field(default_factory=list)

    def share(self, count: int) -> float | None:
        return count / self.total if self.total else None

    @property
    def handled_share(self) -> float | None:
        return self.share(self.handled)

    @property
    def dismissed_share(self) -> float | None:
        return self.share(self.dismissed)


@dataclass
class BacktestResult:
    start: dt.date
    end: dt.date
    clients_checked: int
    horizon_days: int = DEFAULT_HORIZON_DAYS
    per_day: list[tuple[dt.date, int]] = field(default_factory=list)
    per_am: list[tuple[str, int, int]] = field(default_factory=list)  # AM, flags, distinct clients
    flagged_clients: list[tuple[str, int, dt.date]] = field(default_factory=list)  # name, flags, first flag
    accounts_flagged: int = 0
    lead_times: list[LeadTime] = field(default_factory=list)
    burn_in_flags: int = 0  # opened on the first day: conditions that already held
    warnings: int = 0  # flags opened after the first day
    followed: int = 0  # of those, followed by a churn or downgrade within the horizon
    live_client_days: int = 0
    client_days_followed: int = 0
    am_count: int = 0
    churns: int = 0
    churns_warned: int = 0
    handling: Handling = field(default_factory=Handling)

    @property
    def total_flags(self) -> int:
        return sum(count for _, count in self.per_day)

    @property
    def warned_events(self) -> int:
        return sum(1 for item in self.lead_times if item.first_warning is not None)

    @property
    def weeks(self) -> float:
        return max(((self.end - self.start).days + 1) / 7, 1 / 7)

    @property
    def flags_per_am_week(self) -> float | None:
        return self.warnings / self.am_count / self.weeks if self.am_count else None

    @property
    def precision(self) -> float | None:
        return self.followed / self.warnings if self.warnings else None

    @property
    def base_rate(self) -> float | None:
        return self.client_days_followed / self.live_client_days if self.live_client_days else None

    @property
    def lift(self) -> float | None:
        if self.precision is None or not self.base_rate:
            return None
        return self.precision / self.base_rate

    @property
    def recall(self) -> float | None:
        return self.churns_warned / self.churns if self.churns else None

    @property
    def lead_time_quartiles(self) -> tuple[float, float, float] | None:
        """(first quartile, median, third quartile) of the warned churns' lead times, in days."""
        leads = sorted(
            item.days_earlier for item in self.lead_times if item.event == "churned" and item.days_earlier is not None
        )
        if not leads:
            return None
        if len(leads) == 1:
            return (float(leads[0]),) * 3
        q1, median, q3 = statistics.quantiles(leads, n=4, method="inclusive")
        return (q1, median, q3)


def backtest(
    *,
    spec: evaluation.RuleSpec,
    user: User | None,
    days: int,
    until: dt.date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestResult:
    """Replays the rule over ``days`` days ending ``until`` and measures it; writes nothing. ``user=None``: every
    client (the nightly scorecards); otherwise the user's portfolio."""
    [result] = backtest_many(
        specs=[spec], user=user, days=days, until=until, horizon_days=horizon_days, progress=progress
    )
    return result


def backtest_many(
    *,
    specs: Sequence[evaluation.RuleSpec],
    user: User | None,
    days: int,
    until: dt.date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    progress: Callable[[int, int], None] | None = None,
) -> list[BacktestResult]:
    """Several rules in one replay (the facts of each day are read once for all of them), measured one by one:
    the same figures as a back-test of each alone (each rule's flags depend only on its own facts and history)."""
    metrics = kpi_selectors.metric_metadata()
    scope = user_rules.portfolio_q(user) if user is not None else None
    queryset = Client.objects.filter(archived_at__isnull=True, status__in={*MANAGED_STATUSES, ClientStatus.CHURNED})
    if scope is not None:
        queryset = queryset.filter(scope)
    clients = {pk: name for pk, name in queryset.values_list("pk", "name")}
    ids = sorted(clients)
    start = until - dt.timedelta(days=days - 1)
    played = replay(specs=specs, client_ids=ids, start=start, end=until, metrics=metrics, progress=progress)
    horizon = dt.timedelta(days=horizon_days)
    events = client_selectors.churn_events(start=start, end=until, client_ids=ids, downgrades=True)
    event_days: dict[int, list[dt.date]] = defaultdict(list)
    for event in events:
        event_days[event.client_id].append(event.on)

    def followed(client_id: int, day: dt.date) -> bool:
        return any(day <= when <= day + horizon for when in event_days.get(client_id, ()))

    live_client_days = client_days_followed = 0
    for client_id, live in played.live_days.items():
        counted = [d for d in live if d > start]
        live_client_days += len(counted)
        if client_id in event_days:
            client_days_followed += sum(1 for d in counted if followed(client_id, d))
    owner_ids = {o for o in played.owners.values() if o}
    usernames = dict(User.objects.filter(pk__in=owner_ids).values_list("pk", "username"))
    handled = (
        handling_many(rule_ids=[s.id for s in specs if s.id is not None], start=start, end=until, client_ids=ids)
        if any(s.id is not None for s in specs)
        else {}
    )
    results = []
    for spec in specs:
        flags = [f for f in played.flags if f.rule_id == spec.id]
        opened = Counter(f.opened_on for f in flags)
        result = BacktestResult(
            start=start,
            end=until,
            clients_checked=len(ids),
            horizon_days=horizon_days,
            per_day=[(day, opened.get(day, 0)) for day, _ in played.per_day],
            live_client_days=live_client_days,
            client_days_followed=client_days_followed,
            am_count=len(owner_ids),
        )
        _measure(result, flags=flags, events=events, clients=clients, usernames=usernames, followed=followed)
        if spec.id is not None:
            result.handling = handled.get(spec.id, Handling())
        results.append(result)
    return results


def _measure(result: BacktestResult, *, flags, events, clients, usernames, followed) -> None:
    start, horizon = result.start, dt.timedelta(days=result.horizon_days)
    warnings = [f for f in flags if f.opened_on > start]  # burn-in: the first day's flags are not warnings
    result.burn_in_flags = len(flags) - len(warnings)
    result.warnings = len(warnings)
    result.followed = sum(1 for f in warnings if followed(f.client_id, f.opened_on))
    per_am: dict[str, list] = defaultdict(lambda: [0, set()])
    flags_per_client: Counter[int] = Counter()
    first_flag: dict[int, dt.date] = {}
    for item in warnings:
        name = usernames.get(item.owner_id) or "(no owner)"
        per_am[name][0] += 1
        per_am[name][1].add(item.client_id)
        flags_per_client[item.client_id] += 1
        first_flag.setdefault(item.client_id, item.opened_on)
    result.per_am = sorted(((am, n, len(c)) for am, (n, c) in per_am.items()), key=lambda row: (-row[1], row[0]))
    result.accounts_flagged = len(flags_per_client)
    result.flagged_clients = sorted(
        ((clients[c], n, first_flag[c]) for c, n in flags_per_client.items()), key=lambda row: (-row[1], row[0])
    )[:100]

    by_client: dict[int, list[SimulatedFlag]] = defaultdict(list)
    for item in warnings:
        by_client[item.client_id].append(item)
    for event in events:
        # Warned: a flag (after the burn-in) was live at some point in the horizon before the event.
        live_before = [
            f
            for f in by_client.get(event.client_id, ())
            if f.opened_on <= event.on and (f.closed_on is None or f.closed_on >= event.on - horizon)
        ]
        warning = min((f.opened_on for f in live_before), default=None)
        result.lead_times.append(
            LeadTime(
                client=clients.get(event.client_id, str(event.client_id)),
                event=event.kind,
                event_date=event.on,
                first_warning=warning,
                churn_reason=event.churn_reason,
            )
        )
    churned = [item for item in result.lead_times if item.event == "churned"]
    result.churns = len(churned)
    result.churns_warned = sum(1 for item in churned if item.first_warning is not None)


def handling_many(
    *, rule_ids: Sequence[int], start: dt.date, end: dt.date, client_ids: Sequence[int] | None = None
) -> dict[int, Handling]:
    """``handling`` for several rules: one grouped query, plus one for the dismissal reasons of each."""
    flags = Flag.objects.filter(rule_id__in=list(rule_ids), opened_on__gte=start, opened_on__lte=end)
    if client_ids is not None:
        flags = flags.filter(client_id__in=list(client_ids))
    counts: dict[int, Counter] = defaultdict(Counter)
    for rule_id, resolution, n in flags.values_list("rule_id", "resolution").annotate(n=Count("pk")).order_by():
        counts[rule_id][resolution] = n
    out = {}
    for rule_id in rule_ids:
        found = counts.get(rule_id, Counter())
        result = Handling(
            handled=found.get(Resolution.HANDLED, 0),
            dismissed=found.get(Resolution.DISMISSED, 0),
            cleared=found.get(Resolution.CLEARED, 0),
            live=found.get("", 0),
        )
        result.total = result.handled + result.dismissed + result.cleared + result.live
        if result.dismissed:
            result.reasons = list(
                flags.filter(rule_id=rule_id, resolution=Resolution.DISMISSED)
                .exclude(resolution_note="")
                .order_by("-closed_on", "-pk")
                .values_list("resolution_note", flat=True)[:10]
            )
        out[rule_id] = result
    return out


def handling(*, rule_id: int, start: dt.date, end: dt.date, client_ids: Sequence[int] | None = None) -> Handling:
    """What AMs did with the rule's real flags opened between ``start`` and ``end``."""
    return handling_many(rule_ids=[rule_id], start=start, end=end, client_ids=client_ids)[rule_id]


def draft_spec(*, kind: str, params: dict, cooldown_days: int, auto_close: bool, segment: str, team_id: int | None):
    """A spec for a rule that is not saved (yet); raises rules.RuleError on bad parameters."""
    return evaluation.RuleSpec(
        id=None,
        name="Draft rule",
        kind=kind,
        params=rules.validate(kind, params, kpi_selectors.metric_metadata()),
        severity=2,
        segment=segment,
        team_id=team_id,
        cooldown_days=cooldown_days,
        auto_close=auto_close,
    )


def summary(result: BacktestResult) -> dict:
    """The figures as plain JSON (stored on RuleScorecard and BacktestJob, read by the templates)."""
    quartiles = result.lead_time_quartiles
    handling_ = result.handling
    return {
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "horizon_days": result.horizon_days,
        "clients_checked": result.clients_checked,
        "total_flags": result.total_flags,
        "burn_in_flags": result.burn_in_flags,
        "warnings": result.warnings,
        "followed": result.followed,
        "accounts_flagged": result.accounts_flagged,
        "am_count": result.am_count,
        "flags_per_am_week": result.flags_per_am_week,
        "precision": result.precision,
        "base_rate": result.base_rate,
        "lift": result.lift,
        "churns": result.churns,
        "churns_warned": result.churns_warned,
        "recall": result.recall,
        "lead_q1": quartiles[0] if quartiles else None,
        "lead_median": quartiles[1] if quartiles else None,
        "lead_q3": quartiles[2] if quartiles else None,
        "handled": handling_.handled,
        "dismissed": handling_.dismissed,
        "cleared": handling_.cleared,
        "live": handling_.live,
        "handling_total": handling_.total,
        "handled_share": handling_.handled_share,
        "dismissed_share": handling_.dismissed_share,
        "reasons": handling_.reasons,
        "per_day": [[day.isoformat(), count] for day, count in result.per_day],
        "per_am": [list(row) for row in result.per_am],
        "flagged_clients": [[name, count, first.isoformat()] for name, count, first in result.flagged_clients],
        "lead_times": [
            {
                "client": item.client,
                "event": item.event,
                "event_date": item.event_date.isoformat(),
                "days_earlier": item.days_earlier,
                "churn_reason": item.churn_reason,
            }
            for item in result.lead_times
        ],
    }
