"""A simulated customer base in which churn has causes: the one generator of demo and benchmark histories.

``simulate`` is pure (a seed in, trajectories out); ``write_history`` stores one simulated history for existing
clients through the product's own paths (KPI upsert, the lifecycle service for churns, dated follow-ups and
calls). Used by ``seed_demo`` (dashboards.demo_data) and by the benchmarks in ``bench/``.

How a client's story goes, day by day over the history:

- Every client has a latent *fragility* (how easily trouble turns into a loss) and a size; its KPIs carry
  day-to-day noise, a weekly rhythm and, for some, quiet weeks that dip and recover (holidays, a project pause).
- Trouble comes in *episodes* at random times: usage falling, incidents rising (with late deliveries), a
  commitment broken, the champion leaving, or the AM not calling any more. An episode ramps up over a few weeks
  and either recovers (most do: healthy accounts dip and come back) or ends in a churn 5 to 16 weeks after it
  began, more likely when it is severe, when causes pile up and when the client is fragile. Near the end the
  usage of a leaving client fades.
- A few churns have no warning at all (an acquisition, a business closed): no signal could predict them.
- After its churn a client sends no more KPIs and gets no more calls.

Nothing here reads the health model or the rules: the signals are what a real base shows (levels against the
client's own baseline, trends, incidents, contact gaps, broken promises), and the product has to find them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

USAGE = "usage"
INCIDENTS = "incidents"
COMMITMENT = "commitment"
CHAMPION = "champion"
NEGLECT = "neglect"
EPISODE_KINDS = (USAGE, INCIDENTS, COMMITMENT, CHAMPION, NEGLECT)
EPISODE_WEIGHTS = (3, 3, 2, 1.5, 2)
CHURN_REASONS = {
    USAGE: "product_fit",
    INCIDENTS: "service",
    COMMITMENT: "service",
    CHAMPION: "champion_left",
    NEGLECT: "competitor",
}
SILENT_REASONS = ("acquired", "business_closed", "budget")


@dataclass(frozen=True)
class Episode:
    kind: str
    start: int  # day index in the history
    severity: float  # 0-1: the full strength of its effect
    ramp: int  # days to reach full strength
    end: int | None  # the day it recovers (None: it ends in the churn)

    def intensity(self, day: int) -> float:
        """0 before it starts, rising to ``severity`` over ``ramp`` days, fading over two weeks after ``end``."""
        if day < self.start:
            return 0.0
        level = self.severity * min(1.0, (day - self.start + 1) / self.ramp)
        if self.end is not None and day >= self.end:
            level *= max(0.0, 1.0 - (day - self.end) / 14)
        return level


@dataclass
class Trajectory:
    """One client's simulated history (day indexes: 0 is the first day of the history)."""

    index: int
    size: float  # mean orders per working day
    price: float
    fragility: float
    first_day: int  # first day with data (a client that started during the history begins later)
    cadence: int
    episodes: list[Episode] = field(default_factory=list)
    quiet: list[tuple[int, int]] = field(default_factory=list)  # (start, length) of dips that recover
    outages: list[tuple[int, int]] = field(default_factory=list)  # (start, length) of days without any KPI value
    data_stop: int | None = None  # a leaving client switched its integration off this day, before its churn
    churn_day: int | None = None
    churn_reason: str = ""
    churn_cause: str = ""  # the episode kind behind the churn ("" for a silent one)

    def effect(self, kind: str, day: int) -> float:
        return max((e.intensity(day) for e in self.episodes if e.kind == kind), default=0.0)

    def live(self, day: int) -> bool:
        return day >= self.first_day and (self.churn_day is None or day < self.churn_day)

    def reports(self, day: int) -> bool:
        """Its KPI values arrive that day (live, integration on, no outage)."""
        if not self.live(day) or (self.data_stop is not None and day >= self.data_stop):
            return False
        return not any(start <= day < start + length for start, length in self.outages)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def simulate(*, seed: int, clients: int, days: int, cadences: Sequence[int] | None = None) -> list[Trajectory]:
    """``clients`` trajectories over ``days`` days (index 0 is ``days - 1`` days before the last day)."""
    rng = random.Random(seed)
    out = []
    for index in range(clients):
        fragility = rng.betavariate(2, 5)
        first_day = 0 if rng.random() < 0.9 else rng.randint(0, max(0, days - 60))
        trajectory = Trajectory(
            index=index,
            size=rng.lognormvariate(math.log(15), 0.8),
            price=rng.uniform(80, 140),
            fragility=fragility,
            first_day=first_day,
            cadence=cadences[index] if cadences else rng.choice([7, 14, 14, 30, 30, 30, 60]),
        )
        # Episodes of trouble, a Poisson process: about one a year, more for fragile clients.
        rate = (0.6 + 1.6 * fragility) / 365
        day = first_day + int(rng.expovariate(rate))
        while day < days:
            kinds = [rng.choices(EPISODE_KINDS, EPISODE_WEIGHTS)[0]]
            if rng.random() < 0.35:  # trouble piles up: a second cause within three weeks
                kinds.append(rng.choice([k for k in EPISODE_KINDS if k != kinds[0]]))
            severity = rng.uniform(0.35, 1.0)
            churns = rng.random() < _sigmoid(-3.2 + 2.8 * severity + 3.0 * fragility + 0.8 * (len(kinds) - 1))
            lag = rng.randint(35, 110)
            for offset, kind in enumerate(kinds):
                start = day + (rng.randint(0, 21) if offset else 0)
                end = None if churns else start + rng.randint(20, 70)
                trajectory.episodes.append(Episode(kind, start, severity, rng.randint(10, 30), end))
            if churns:
                trajectory.churn_day = day + lag
                trajectory.churn_reason = CHURN_REASONS[kinds[0]]
                trajectory.churn_cause = kinds[0]
                break
            day += rng.randint(40, 120) + int(rng.expovariate(rate))
        # A churn with no warning at all: bought by a competitor's customer, closed down, budget gone.
        if trajectory.churn_day is None and rng.random() < 0.025 * days / 365:
            trajectory.churn_day = rng.randint(first_day + 30, days + 60)
            trajectory.churn_reason = rng.choice(SILENT_REASONS)
        if trajectory.churn_day is not None and trajectory.churn_day >= days:
            # The churn falls after the history: the trouble shows, the outcome is still open.
            trajectory.churn_day, trajectory.churn_reason, trajectory.churn_cause = None, "", ""
        # Integrations break now and then (no KPI values for days); some leaving clients switch theirs off weeks
        # before the contract ends.
        if rng.random() < 0.08:
            trajectory.outages.append((rng.randint(first_day, max(first_day, days - 1)), rng.randint(3, 25)))
        if trajectory.churn_day is not None and trajectory.churn_cause and rng.random() < 0.25:
            trajectory.data_stop = trajectory.churn_day - rng.randint(10, 40)
        # Quiet weeks that dip and recover (holidays, a paused project): noise a good signal must live with.
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
            trajectory.quiet.append((rng.randint(first_day, max(first_day, days - 1)), rng.randint(5, 20)))
        out.append(trajectory)
    return out


# --- what the trajectories look like in the product's records -------------------------------------------------------


@dataclass
class DailyKpis:
    orders: float
    revenue: float
    late_deliveries: float
    support_incidents: float


def orders_on(t: Trajectory, day: int, weekday: int, rng: random.Random) -> float:
    """One day's orders of a live client: its size, the weekly rhythm, noise, and whatever trouble it is in."""
    usage = t.effect(USAGE, day)
    multiplier = 1.0 - 0.6 * usage - 0.25 * t.effect(CHAMPION, day) - 0.15 * t.effect(NEGLECT, day)
    multiplier -= 0.15 * t.effect(INCIDENTS, day)
    if t.churn_day is not None and t.churn_cause and t.churn_day - day < 30:
        multiplier *= 0.4 + 0.6 * max(0.0, (t.churn_day - day) / 30)  # the last weeks of a leaving client
    if any(start <= day < start + length for start, length in t.quiet):
        multiplier *= 0.55
    weekly = 0.55 if weekday >= 5 else 1.0
    return float(_poisson(rng, max(0.0, t.size * weekly * multiplier * rng.lognormvariate(0, 0.25))))


def kpis_on(t: Trajectory, day: int, weekday: int, rng: random.Random) -> DailyKpis:
    """One day's KPI values for a live client."""
    incidents = t.effect(INCIDENTS, day)
    orders = orders_on(t, day, weekday, rng)
    late_rate = 0.03 + 0.12 * incidents
    late = float(sum(1 for _ in range(int(orders)) if rng.random() < late_rate)) if orders < 400 else orders * late_rate
    incident_mean = (0.08 + 0.02 * math.sqrt(t.size)) * (1 + 5 * incidents)
    revenue = round(orders * t.price * rng.uniform(0.9, 1.1), 2)
    return DailyKpis(orders, revenue, late, float(_poisson(rng, incident_mean)))


def nps_on(t: Trajectory, day: int, rng: random.Random) -> float:
    trouble = max(t.effect(kind, day) for kind in EPISODE_KINDS)
    return float(max(-100, min(100, round(rng.gauss(35 - 55 * trouble, 18)))))


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 60:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def contact_days(t: Trajectory, days: int, rng: random.Random) -> list[int]:
    """The days the AM touched the client: about once per cadence, none while neglected, none after the churn."""
    touches = []
    day = t.first_day + rng.randint(0, t.cadence)
    while day < days and t.live(day):
        if t.effect(NEGLECT, day) < 0.2:
            touches.append(day)
        day += max(1, round(t.cadence * rng.uniform(0.5, 1.35)))
    return touches


@dataclass(frozen=True)
class Commitment:
    created: int
    due: int
    done: int | None  # None: still open (broken and never kept, or not due yet)


def commitments(t: Trajectory, days: int, rng: random.Random) -> list[Commitment]:
    """Promises to the client: most kept on time, some late; the ones made during a *commitment* episode are
    broken (kept only if the client recovers, long after the date)."""
    out = []
    day = t.first_day + rng.randint(0, 60)
    while day < days and t.live(day):
        due = day + rng.randint(7, 30)
        done = due - rng.randint(0, 5) if rng.random() < 0.8 else due + rng.randint(1, 12)
        out.append(Commitment(day, due, done if done < days and t.live(done) else None))
        day += rng.randint(30, 90)
    for episode in t.episodes:
        if episode.kind == COMMITMENT and episode.start < days:
            due = episode.start + rng.randint(5, 15)
            kept = episode.end + rng.randint(0, 10) if episode.end is not None else None
            out.append(Commitment(episode.start, due, kept if kept is not None and kept < days else None))
    return [c for c in out if c.done is None or c.done >= c.created]


def champion_left_day(t: Trajectory) -> int | None:
    return next((e.start for e in t.episodes if e.kind == CHAMPION), None)


# --- writing a history for existing clients -------------------------------------------------------------------------


CALLS = [
    ("call", "Check-in: volumes and open questions.", "neutral"),
    ("call", "Went through the incident list with operations.", "negative"),
    ("meeting", "Planning session with the operations team.", "positive"),
    ("email", "Sent the usage report and next steps.", "neutral"),
    ("call", "Sponsor happy with the service; asked about the new module.", "positive"),
]
FOLLOWUP_TITLES = [
    "Send root-cause analysis of late deliveries",
    "Share usage figures per region",
    "Fix the invoice export for finance",
    "Deliver the custom report",
    "Book the training for new users",
]


@dataclass
class WrittenHistory:
    trajectories: dict[int, Trajectory]  # client id -> its story
    first_day: dt.date
    churned: int


def write_history(
    *,
    clients: Sequence,
    seed: int,
    today: dt.date,
    days: int,
    by,
    metrics: Sequence[str] = ("orders", "revenue", "late_deliveries", "support_incidents", "nps"),
    calls: bool = True,
) -> WrittenHistory:
    """Simulate ``days`` days ending ``today`` for these (saved, managed) clients and store them: KPI values, calls,
    commitments (with their dated history), champions who left, the lifecycle (a first step on the contract start,
    then each churn through ``clients.services.client_status_change``, back-dated by ``by``, an admin)."""
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from clients.models import Client, ClientStatus, ClientStatusChange, Contact, ContactRole
    from clients.services import client_status_change
    from interactions.models import FollowUp, FollowUpOrigin, FollowUpStatus, Interaction
    from kpis import ingest
    from kpis.models import Metric

    rng = random.Random(seed * 7919 + 1)
    clients = list(clients)
    first = today - dt.timedelta(days=days - 1)
    stories = simulate(seed=seed, clients=len(clients), days=days, cadences=[c.contact_cadence_days for c in clients])
    by_client = {client.pk: story for client, story in zip(clients, stories, strict=True)}
    metric_ids = dict(Metric.objects.filter(key__in=list(metrics)).values_list("key", "pk"))

    def date(index: int) -> dt.date:
        return first + dt.timedelta(days=index)

    def moment(index: int, hour: int = 10) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(date(index), dt.time(hour, rng.randint(0, 59))))

    # Contract starts agree with the story: a client that began during the history starts that day.
    for client, story in zip(clients, stories, strict=True):
        if story.first_day > 0:
            client.contract_start = date(story.first_day)
        elif client.contract_start is None or client.contract_start > first:
            client.contract_start = first - dt.timedelta(days=rng.randint(30, 900))
    Client.objects.bulk_update(clients, ["contract_start"], batch_size=1000)

    # KPI values, in slices so memory stays flat.
    values: list[tuple[int, int, dt.date, float]] = []
    for client in clients:
        story = by_client[client.pk]
        for index in range(story.first_day, days):
            if not story.live(index):
                break
            if not story.reports(index):
                continue
            day = date(index)
            kpis = kpis_on(story, index, day.weekday(), rng)
            for key in ("orders", "revenue", "late_deliveries", "support_incidents"):
                if key in metric_ids:
                    values.append((client.pk, metric_ids[key], day, getattr(kpis, key)))
            if "nps" in metric_ids and (index - story.first_day) % 30 == 15:
                values.append((client.pk, metric_ids["nps"], day, nps_on(story, index, rng)))
        if len(values) > 50_000:
            ingest.upsert_values(values)
            values = []
    ingest.upsert_values(values)

    # Champions who left, on the day their episode began.
    champions = {c.client_id: c for c in Contact.objects.filter(client__in=clients, role=ContactRole.CHAMPION)}
    gone = []
    for client in clients:
        left = champion_left_day(by_client[client.pk])
        contact = champions.get(client.pk)
        if left is not None and left < days and contact is not None:
            contact.is_active, contact.left_on = False, date(left)
            gone.append(contact)
    Contact.objects.bulk_update(gone, ["is_active", "left_on"], batch_size=1000)

    if calls:
        rows = []
        for client in clients:
            for index in contact_days(by_client[client.pk], days, rng):
                kind, summary, sentiment = rng.choice(CALLS)
                rows.append(
                    Interaction(
                        client=client, kind=kind, occurred_at=moment(index), author_id=client.owner_id,
                        summary=summary, sentiment=sentiment, outcome="Agreed next steps.",
                    )
                )  # fmt: skip
        bulk_create_with_history(rows, Interaction, batch_size=2000, default_date=timezone.now())
        _refresh_last_contacts(clients)

    _write_commitments(clients, by_client, days, rng, date, moment, FollowUp, FollowUpOrigin, FollowUpStatus)

    # The lifecycle: the status each client had from its start, then the churns through the service.
    ClientStatusChange.objects.filter(client__in=clients).delete()
    ClientStatusChange.objects.bulk_create(
        [
            ClientStatusChange(
                client=client, status=client.status, previous_status="", effective_on=client.contract_start,
                reason="Imported with the demo history", changed_by=by,
            )
            for client in clients
        ],
        batch_size=2000,
    )  # fmt: skip
    churned = 0
    for client in clients:
        story = by_client[client.pk]
        if story.churn_day is None or client.status == ClientStatus.CHURNED:
            continue
        client_status_change(
            client=client, by=by, status=ClientStatus.CHURNED, effective_on=date(story.churn_day),
            churn_reason=story.churn_reason, reason="Contract ended", today=today,
        )  # fmt: skip
        churned += 1
    return WrittenHistory(trajectories=by_client, first_day=first, churned=churned)


def _refresh_last_contacts(clients) -> None:
    from interactions.services import refresh_contact_facts

    for client in clients:
        refresh_contact_facts(client_id=client.pk, contact_ids=[])


def _write_commitments(clients, by_client, days, rng, date, moment, FollowUp, FollowUpOrigin, FollowUpStatus) -> None:
    """Commitments with a dated history: created (open) on their day, done on theirs, so a replay of a past
    morning sees the ones that were overdue then."""
    rows, stamps = [], []
    for client in clients:
        for item in commitments(by_client[client.pk], days, rng):
            done = item.done is not None
            rows.append(
                FollowUp(
                    client=client, owner_id=client.owner_id, title=rng.choice(FOLLOWUP_TITLES),
                    due_date=date(item.due), is_commitment=True, promised_date=date(item.due),
                    status=FollowUpStatus.DONE if done else FollowUpStatus.OPEN, origin=FollowUpOrigin.INTERACTION,
                    completed_at=moment(item.done, 15) if done else None, created_by_id=client.owner_id,
                )
            )  # fmt: skip
            stamps.append((moment(item.created, 9), moment(item.done, 15) if done else None))
    created = FollowUp.objects.bulk_create(rows, batch_size=2000)
    for row, (made, _) in zip(created, stamps, strict=True):
        row.created_at = row.updated_at = made
    FollowUp.objects.bulk_update(created, ["created_at", "updated_at"], batch_size=2000)
    history = FollowUp.history.model
    fields = [f.attname for f in FollowUp._meta.concrete_fields]
    versions = []
    for row, (made, done_at) in zip(created, stamps, strict=True):
        values = {name: getattr(row, name) for name in fields}
        versions.append(history(**{**values, "status": FollowUpStatus.OPEN, "completed_at": None},
                                history_date=made, history_type="+"))  # fmt: skip
        if done_at is not None:
            versions.append(history(**values, history_date=done_at, history_type="~"))
    history.objects.bulk_create(versions, batch_size=2000)
