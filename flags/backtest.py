"""Back-test a rule (saved or draft): what it would have flagged, day by day, over the last N days."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Min

from clients.models import MANAGED_STATUSES, Client, ClientStatus
from flags import evaluation, rules
from flags.models import Flag
from kpis import selectors as kpi_selectors
from users import permissions as user_rules
from users.models import User


@dataclass
class LeadTime:
    client: str
    event: str  # "churned" or "flagged by hand"
    event_date: dt.date
    first_warning: dt.date | None

    @property
    def days_earlier(self) -> int | None:
        return None if self.first_warning is None else (self.event_date - self.first_warning).days


@dataclass
class BacktestResult:
    start: dt.date
    end: dt.date
    clients_checked: int
    per_day: list[tuple[dt.date, int]] = field(default_factory=list)
    per_am: list[tuple[str, int, int]] = field(default_factory=list)  # AM, flags, distinct clients
    flagged_clients: list[tuple[str, int, dt.date]] = field(default_factory=list)  # name, flags, first flag
    accounts_flagged: int = 0
    lead_times: list[LeadTime] = field(default_factory=list)

    @property
    def total_flags(self) -> int:
        return sum(count for _, count in self.per_day)

    @property
    def warned_events(self) -> int:
        return sum(1 for item in self.lead_times if item.first_warning is not None)


def backtest(*, spec: evaluation.RuleSpec, user: User, days: int, until: dt.date) -> BacktestResult:
    """Replays the rule with the same open / auto-close / cooldown logic as the daily run; writes nothing."""
    metrics = kpi_selectors.metric_metadata()
    clients = {
        pk: (name, owner)
        for pk, name, owner in Client.objects.filter(
            user_rules.portfolio_q(user),
            archived_at__isnull=True,
            status__in={*MANAGED_STATUSES, ClientStatus.CHURNED},
        ).values_list("pk", "name", "owner__username")
    }
    ids = sorted(clients)
    start = until - dt.timedelta(days=days - 1)
    result = BacktestResult(start=start, end=until, clients_checked=len(ids))
    open_since: dict[int, dt.date] = {}  # client -> the day its (simulated) flag opened
    closed_on: dict[int, dt.date] = {}
    first_flag: dict[int, dt.date] = {}
    flags_per_client: Counter[int] = Counter()
    day = start
    while day <= until:
        matches = evaluation.find_matches(client_ids=ids, on_date=day, specs=[spec], metrics=metrics) if ids else {}
        matched = {client_id for client_id, _ in matches}
        opened = 0
        for client_id in sorted(matched | set(open_since)):
            # The daily run's own decision, on the flags this replay keeps in memory instead of in the table.
            step = evaluation.flag_step(
                on_date=day,
                matched=client_id in matched,
                live_opened_on=open_since.get(client_id),
                last_closed_on=closed_on.get(client_id),
                cooldown_days=spec.cooldown_days,
                auto_close=spec.auto_close,
            )
            if step == evaluation.FlagStep.OPEN:
                open_since[client_id] = day
                opened += 1
                flags_per_client[client_id] += 1
                first_flag.setdefault(client_id, day)
            elif step == evaluation.FlagStep.CLOSE:
                del open_since[client_id]
                closed_on[client_id] = day
        result.per_day.append((day, opened))
        day += dt.timedelta(days=1)

    per_am: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for client_id, count in flags_per_client.items():
        owner = clients[client_id][1] or "(no owner)"
        per_am[owner][0] += count
        per_am[owner][1] += 1
    result.per_am = sorted(((am, f, c) for am, (f, c) in per_am.items()), key=lambda row: -row[1])
    result.accounts_flagged = len(flags_per_client)
    result.flagged_clients = sorted(
        ((clients[c][0], n, first_flag[c]) for c, n in flags_per_client.items()), key=lambda row: (-row[1], row[0])
    )[:100]

    churned = (
        Client.history.filter(id__in=ids, status=ClientStatus.CHURNED)
        .values("id")
        .annotate(first=Min("history_date"))
        .values_list("id", "first")
    )
    events: list[tuple[int, str, dt.date]] = [(pk, "churned", when.date()) for pk, when in churned]
    events += [
        (pk, "flagged by hand", opened)
        for pk, opened in Flag.objects.filter(rule__isnull=True, client_id__in=ids, opened_on__gte=start)
        .values_list("client_id", "opened_on")
        .order_by("client_id", "opened_on")
    ]
    for client_id, event, when in sorted(events, key=lambda e: e[2]):
        warning = first_flag.get(client_id)
        result.lead_times.append(
            LeadTime(
                client=clients[client_id][0],
                event=event,
                event_date=when,
                first_warning=warning if warning is not None and warning <= when else None,
            )
        )
    return result


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
