"""Demo data for a fresh checkout: teams, a user for every role, a few hundred clients.

Lives in dashboards because it is the one app allowed to import every other
(DESIGN.md import direction); later features add their own demo data here.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from capture.demo import seed_captured_mail
from clients.models import (
    Channel,
    Client,
    ClientStatus,
    Contact,
    ContactRole,
    Handoff,
    HandoffStatus,
    Segment,
)
from contracts.demo import seed_paperwork
from core.search import phone_digits, phone_e164
from dashboards import simulation
from playbooks.demo import seed as seed_playbooks
from sharing.demo import seed as seed_shared_plans
from surveys.demo import seed as seed_surveys
from users.models import Role, Team, User

DEMO_PASSWORD = "demo-pass-2026"
DEAL_KINDS = ["platform", "rollout", "expansion", "pilot"]

TEAMS = {
    "North": ("lead_lena", "Lena", "Lindqvist", ["am_alice", "am_bob", "am_carla"]),
    "Central": ("lead_lars", "Lars", "Lehmann", ["am_oscar", "am_olga", "am_pedro"]),
    "South": ("lead_lucia", "Lucia", "Lopez", ["am_sofia", "am_sven", "am_tariq"]),
}
AM_NAMES = {
    "am_alice": ("Alice", "Andersen"),
    "am_bob": ("Bob", "Brennan"),
    "am_carla": ("Carla", "Costa"),
    "am_oscar": ("Oscar", "Olsen"),
    "am_olga": ("Olga", "Orlova"),
    "am_pedro": ("Pedro", "Pinto"),
    "am_sofia": ("Sofia", "Silva"),
    "am_sven": ("Sven", "Svensson"),
    "am_tariq": ("Tariq", "Toure"),
}
SALES = {"sales_sam": ("Sam", "Sutter", "005SAM"), "sales_sara": ("Sara", "Stein", "005SARA")}

NAME_HEADS = [
    "Nordwind",
    "Bluefin",
    "Granite",
    "Silverline",
    "Copperleaf",
    "Brightwater",
    "Ironbridge",
    "Maple",
    "Northstar",
    "Harbor",
    "Summit",
    "Redwood",
    "Clearpath",
    "Evergreen",
    "Falcon",
    "Orchard",
    "Atlas",
    "Beacon",
    "Cobalt",
    "Driftwood",
    "Ember",
    "Fjord",
    "Glacier",
    "Highland",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Meridian",
    "Oakridge",
    "Pioneer",
    "Quarry",
    "Riverbend",
    "Sequoia",
    "Tidewater",
    "Upland",
    "Vantage",
    "Willow",
    "Zenith",
    "Alder",
    "Birch",
]
NAME_TAILS = [
    "Logistics",
    "Foods",
    "Analytics",
    "Retail",
    "Pharma",
    "Energy",
    "Textiles",
    "Robotics",
    "Media",
    "Insurance",
    "Motors",
    "Labs",
    "Hospitality",
    "Construction",
    "Telecom",
]
LEGAL = ["GmbH", "Ltd", "Inc.", "S.A.", "AB", "B.V.", "SAS", "plc"]
INDUSTRY = {
    "Logistics": "Transport & logistics",
    "Foods": "Food & beverage",
    "Analytics": "Software",
    "Retail": "Retail",
    "Pharma": "Pharmaceuticals",
    "Energy": "Energy",
    "Textiles": "Manufacturing",
    "Robotics": "Manufacturing",
    "Media": "Media",
    "Insurance": "Financial services",
    "Motors": "Automotive",
    "Labs": "Biotech",
    "Hospitality": "Hospitality",
    "Construction": "Construction",
    "Telecom": "Telecommunications",
}
CITIES = [
    ("Stockholm", "Sweden"),
    ("Hamburg", "Germany"),
    ("Munich", "Germany"),
    ("Lyon", "France"),
    ("Madrid", "Spain"),
    ("Lisbon", "Portugal"),
    ("Rotterdam", "Netherlands"),
    ("Manchester", "United Kingdom"),
    ("Milan", "Italy"),
    ("Vienna", "Austria"),
    ("Zurich", "Switzerland"),
    ("Copenhagen", "Denmark"),
]
FIRST = [
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Eva",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Karin",
    "Leo",
    "Mia",
    "Nils",
    "Olivia",
    "Paul",
    "Rosa",
    "Simon",
    "Tara",
    "Viktor",
    "Yara",
    "Zoe",
    "Marco",
    "Elena",
    "Tomas",
]
LAST = [
    "Schmidt",
    "Dubois",
    "Rossi",
    "Novak",
    "Jensen",
    "Garcia",
    "Müller",
    "Larsen",
    "Moreau",
    "Bianchi",
    "Kowalski",
    "Nieminen",
    "Fischer",
    "Santos",
    "Weber",
    "Hansen",
    "Ferrari",
    "Martin",
    "Berg",
    "Vogel",
]
TITLES = {
    ContactRole.DECISION_MAKER: ["CEO", "COO", "VP Operations", "Managing Director"],
    ContactRole.SPONSOR: ["CFO", "Head of Procurement", "VP Finance"],
    ContactRole.CHAMPION: ["Operations Manager", "Head of Logistics", "Project Lead"],
    ContactRole.USER: ["Analyst", "Team Lead", "Coordinator", "Planner"],
    ContactRole.BLOCKER: ["IT Security Officer", "Legal Counsel"],
}


@dataclass
class SeedResult:
    created: bool
    clients: int
    contacts: int
    handoffs: int
    churned: int = 0


def _user(username: str, first: str, last: str, role: str, team: Team | None = None, **extra) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@example.com",
            "role": role,
            "team": team,
            **extra,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def demo_logins() -> list[tuple[str, str, str]]:
    rows = [("admin_ada", "Admin", "")]
    for team, (lead, _, _, ams) in TEAMS.items():
        rows.append((lead, "Team lead", team))
        rows.extend((am, "Account manager", team) for am in ams)
    rows.extend((name, "Sales", "") for name in SALES)
    return rows


@transaction.atomic
def seed_demo(
    *,
    clients: int = 330,
    seed: int = 42,
    history_days: int = 240,
    score_days: int = 104,
    scorecard_days: int | None = 90,
    today: dt.date | None = None,
) -> SeedResult:
    """The demo world. The clients' histories come from dashboards.simulation (churn follows causes with a lag);
    ``history_days`` of KPIs and calls, daily health scores for the last ``score_days`` days (the health rules and
    their back-test read them), 14 morning runs, flags handled and dismissed, and the rules' back-test figures
    over ``scorecard_days`` days (None: left to the nightly task)."""
    if Team.objects.filter(name__in=TEAMS).exists():
        return SeedResult(False, Client.objects.count(), Contact.objects.count(), Handoff.objects.count())
    rng = random.Random(seed)
    today = today or timezone.localdate()
    now = timezone.now()

    _user("admin_ada", "Ada", "Admin", Role.ADMIN, is_staff=True, is_superuser=True)
    teams: dict[str, Team] = {}
    ams_by_team: dict[str, list[User]] = {}
    for team_name, (lead_name, lead_first, lead_last, am_names) in TEAMS.items():
        team = Team.objects.create(name=team_name)
        teams[team_name] = team
        _user(lead_name, lead_first, lead_last, Role.TEAM_LEAD, team)
        ams_by_team[team_name] = [_user(name, *AM_NAMES[name], Role.ACCOUNT_MANAGER, team) for name in am_names]
    sales = [_user(name, first, last, Role.SALES, sales_crm_id=crm_id) for name, (first, last, crm_id) in SALES.items()]

    names = rng.sample([f"{h} {t}" for h in NAME_HEADS for t in NAME_TAILS], clients)
    status_pool = (
        [ClientStatus.ACTIVE] * 60
        + [ClientStatus.ONBOARDING] * 8
        + [ClientStatus.PAUSED] * 4
        + [ClientStatus.PROSPECT] * 9
        + [ClientStatus.HANDOFF_PENDING] * 5
    )
    client_rows: list[Client] = []
    for index, base in enumerate(names):
        status = rng.choice(status_pool)
        segment = rng.choices([Segment.ENTERPRISE, Segment.MID_MARKET, Segment.SMB], weights=[2, 4, 6])[0]
        arr_range = {
            Segment.ENTERPRISE: (150_000, 900_000),
            Segment.MID_MARKET: (40_000, 180_000),
            Segment.SMB: (6_000, 45_000),
        }
        team_name = rng.choice(list(TEAMS))
        managed = status not in {ClientStatus.PROSPECT, ClientStatus.HANDOFF_PENDING}
        start = today - dt.timedelta(days=rng.randint(60, 1400))
        city, country = rng.choice(CITIES)
        client_rows.append(
            Client(
                name=f"{base} {rng.choice(LEGAL)}",
                external_id=f"001DEMO{index:05d}",
                segment=segment,
                is_key_account=managed and segment == Segment.ENTERPRISE and rng.random() < 0.6,
                industry=INDUSTRY[base.split()[-1]],
                website=f"www.{base.split()[0].lower()}{base.split()[1].lower()}.example",
                city=city,
                country=country,
                status=status,
                owner=rng.choice(ams_by_team[team_name]) if managed else None,
                team=teams[team_name] if managed else None,
                sales_owner=rng.choice(sales),
                arr=Decimal(rng.randrange(*arr_range[segment], 500)) if managed else Decimal(0),
                currency="EUR",
                contract_start=start if managed else None,
                renewal_date=(today + dt.timedelta(days=rng.randint(-20, 365))) if managed else None,
                contact_cadence_days=rng.choice([7, 14, 14, 30, 30, 30, 60]),
                preferred_channel=rng.choice(Channel.values),
            )
        )
    created_clients = bulk_create_with_history(client_rows, Client, batch_size=500)
    created_clients = list(Client.objects.order_by("pk"))

    contacts: list[Contact] = []
    for client in created_clients:
        roles = [
            ContactRole.DECISION_MAKER,
            ContactRole.CHAMPION,
            *rng.sample(
                [ContactRole.SPONSOR, ContactRole.USER, ContactRole.USER, ContactRole.BLOCKER], rng.randint(0, 3)
            ),
        ]
        domain = client.website.removeprefix("www.")
        for role in roles:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            left = role == ContactRole.USER and rng.random() < 0.15
            contacts.append(
                Contact(
                    client=client,
                    first_name=first,
                    last_name=last,
                    job_title=rng.choice(TITLES.get(role, ["Manager"])),
                    email=f"{first.lower()}.{last.lower().replace('ü', 'ue')}@{domain}",
                    phone=(phone := f"+{rng.randint(30, 49)} {rng.randint(100, 999)} {rng.randint(100000, 999999)}"),
                    phone_digits=phone_digits(phone),
                    phone_e164=phone_e164(phone),
                    role=role,
                    influence=3 if role in {ContactRole.DECISION_MAKER, ContactRole.SPONSOR} else rng.randint(1, 3),
                    relationship_strength=rng.randint(1, 3),
                    is_active=not left,
                    left_on=today - dt.timedelta(days=rng.randint(5, 200)) if left else None,
                )
            )
    bulk_create_with_history(contacts, Contact, batch_size=1000)
    decision_makers = {c.client_id: c for c in Contact.objects.filter(role=ContactRole.DECISION_MAKER).order_by("pk")}
    reports = [c for c in Contact.objects.exclude(role=ContactRole.DECISION_MAKER).order_by("pk")]
    for contact in reports:
        contact.reports_to = decision_makers.get(contact.client_id)
    Contact.objects.bulk_update(reports, ["reports_to"], batch_size=1000)

    handoffs = _seed_handoffs(rng, created_clients, decision_makers, teams, ams_by_team, today, now)
    managed = [c for c in created_clients if c.owner_id]
    admin = User.objects.get(username="admin_ada")
    history = simulation.write_history(clients=managed, seed=seed, today=today, days=history_days, by=admin)
    managed = list(Client.objects.filter(pk__in=[c.pk for c in managed]).select_related("owner").order_by("pk"))
    _seed_followups(rng, [c for c in managed if c.status != ClientStatus.CHURNED], today)
    reviewed = [c for c in managed if rng.random() < 0.75]
    for client in reviewed:
        client.last_review_on = today - dt.timedelta(days=rng.randint(10, 150))
    Client.objects.bulk_update(reviewed, ["last_review_on"], batch_size=500)
    _seed_scores(today, score_days)
    seed_surveys(today=today, now=now, seed=seed)  # before the morning runs: the detractor rule reads the answers
    # Contracts and paperwork before the morning runs, so the billing rules see the invoices and acts.
    _seed_contracts(rng, [c for c in managed if c.status != ClientStatus.CHURNED], today)
    seed_paperwork(today=today, seed=seed)
    _seed_flags(rng, [c for c in managed if c.status != ClientStatus.CHURNED], today)
    _seed_reviews(rng, managed, today, history_days)
    seed_captured_mail(clients=[c for c in managed if c.status != ClientStatus.CHURNED], now=now)
    seed_playbooks(today=today)  # after the flags: save plans start from them
    seed_shared_plans(now=now)  # after the reviews: key accounts share their plans
    if scorecard_days:
        from flags.services import rule_scorecards_refresh

        rule_scorecards_refresh(today=today, days=scorecard_days)
    from health.services import health_calibration_start

    health_calibration_start(by=None, today=today)  # the model page's calibration: computed once this commits
    return SeedResult(True, len(created_clients), len(contacts), handoffs, history.churned)


def _seed_handoffs(rng, clients, decision_makers, teams, ams_by_team, today, now) -> int:
    goals = [
        "Cut order-to-delivery time by 20% within two quarters.",
        "Replace three legacy tools with one platform by year end.",
        "Give regional managers a weekly view of stock and returns.",
    ]
    commitments = [
        [{"text": "Data migration finished", "due_date": (today + dt.timedelta(days=30)).isoformat()}],
        [
            {"text": "Weekly status call during onboarding", "due_date": None},
            {"text": "Custom export for finance", "due_date": (today + dt.timedelta(days=45)).isoformat()},
        ],
    ]
    created = 0
    for client in clients:
        dm = decision_makers.get(client.pk)
        complete = rng.random() < 0.6
        fields = dict(
            client=client,
            deal_external_id=f"006DEMO{client.pk:05d}",
            deal_name=f"{client.name.split()[0]} {rng.choice(DEAL_KINDS)} {today.year}",
            deal_amount=client.arr or Decimal(rng.randrange(8_000, 250_000, 1000)),
            currency="EUR",
            close_date=today - dt.timedelta(days=rng.randint(3, 90)),
            scope="Licences for all regional sites, onboarding workshops, integration with the ERP."
            if complete
            else "",
            goals=rng.choice(goals),
            success_criteria="Go-live within 60 days; 80% weekly active users after 3 months." if complete else "",
            risks="Internal IT capacity during Q1." if complete else "",
            commitments=rng.choice(commitments) if complete else [],
            created_by=client.sales_owner,
        )
        if client.status == ClientStatus.HANDOFF_PENDING:
            team = rng.choice(list(teams.values()))
            blocked = rng.random() < 0.25
            handoff = Handoff.objects.create(
                **{**fields, "goals": "" if blocked else fields["goals"]},
                to_team=team,
                to_am=rng.choice(ams_by_team[team.name]) if rng.random() < 0.5 else None,
                status=HandoffStatus.PENDING,
            )
        elif client.status == ClientStatus.PROSPECT and rng.random() < 0.3:
            team = rng.choice(list(teams.values()))
            handoff = Handoff.objects.create(
                **fields,
                to_team=team,
                status=HandoffStatus.RETURNED,
                return_reason="No success criteria and nobody named on the client side; please add them.",
                decided_by=ams_by_team[team.name][0],
                decided_at=now - dt.timedelta(days=rng.randint(1, 10)),
            )
        elif client.owner_id and rng.random() < 0.5:
            handoff = Handoff.objects.create(
                **fields,
                to_am=client.owner,
                to_team=client.team,
                status=HandoffStatus.ACCEPTED,
                decided_by=client.owner,
                decided_at=now - dt.timedelta(days=rng.randint(3, 300)),
            )
        else:
            continue
        if dm is not None and (complete or rng.random() < 0.5):
            handoff.stakeholders.add(dm)
        created += 1
    return created


FOLLOWUP_TITLES = [
    "Send root-cause analysis of late deliveries",
    "Share usage figures per region",
    "Introduce the new operations lead to support",
    "Prepare renewal proposal",
    "Book the quarterly review",
    "Fix invoice address in billing",
]


def _seed_followups(rng, clients, today) -> None:
    from interactions.models import FollowUp, FollowUpOrigin

    rows = []
    for client in rng.sample(clients, len(clients) // 2):
        for _ in range(rng.randint(1, 3)):
            due = today + dt.timedelta(days=rng.randint(-20, 30))
            # Commitments to the client come with the simulated history; these are the AM's own tasks.
            commitment = False
            rows.append(
                FollowUp(
                    client=client,
                    owner=client.owner,
                    title=rng.choice(FOLLOWUP_TITLES),
                    due_date=due,
                    is_commitment=commitment,
                    promised_date=due + dt.timedelta(days=rng.choice([0, 3, 7])) if commitment else None,
                    origin=FollowUpOrigin.INTERACTION,
                    created_by=client.owner,
                )
            )
    bulk_create_with_history(rows, FollowUp, batch_size=1000)


def _seed_scores(today: dt.date, days: int) -> None:
    """The morning scores of the last ``days`` days, for the clients live on each day (by the lifecycle)."""
    from clients.models import MANAGED_STATUSES
    from clients.selectors import live_client_ids
    from health import services

    everyone = [*MANAGED_STATUSES, ClientStatus.CHURNED]
    for back in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=back)
        services.health_scores_compute(on_date=day, client_ids=sorted(live_client_ids(on_date=day)), statuses=everyone)


def _seed_flags(rng, clients, today) -> None:
    """The default rules, two weeks of morning runs (history, flags opened and closed), a few hand-raised flags."""
    from flags import evaluation
    from flags.default_rules import ensure_default_rules
    from flags.models import Flag, Severity, TriggerRule

    admin = User.objects.get(username="admin_ada")
    ensure_default_rules(by=admin)
    # Available kinds that are not defaults (no back-test on the simulated history proves their lift), switched on
    # for the demo so their flags can be seen.
    for name, kind, params, severity in [
        ("Key stakeholder left", "stakeholder_left", {"within_days": 30}, Severity.HIGH),
        ("Invoice overdue", "invoice_overdue", {"min_days": 14}, Severity.HIGH),
        ("Closing documents unsigned", "closing_documents_unsigned", {"days": 30}, Severity.MEDIUM),
        ("Detractor in the NPS survey", "survey_detractor", {"days": 30, "max_score": 6}, Severity.HIGH),
    ]:
        TriggerRule.objects.get_or_create(
            name=name,
            team=None,
            defaults={"kind": kind, "params": params, "severity": severity, "created_by": admin},
        )
    for age in range(13, -1, -1):
        evaluation.evaluate_day_inline(on_date=today - dt.timedelta(days=age))
    for client in rng.sample(clients, 4):
        Flag.objects.create(
            client=client,
            title="Gut feeling: sponsor sounded unhappy",
            evidence="Sponsor avoided the renewal topic twice on the last call.",
            severity=Severity.MEDIUM,
            assigned_to=client.owner,
            opened_on=today - dt.timedelta(days=rng.randint(0, 20)),
            last_seen_on=today,
            created_by=client.owner,
        )
    _work_flags(rng, today)


DISMISS_REASONS = [
    "Seasonal dip: they always slow down in this period.",
    "Known: their integration was down, data is back now.",
    "Talked to them last week, all fine.",
    "Small account, the drop is noise.",
]


def _work_flags(rng, today) -> None:
    """What AMs did with the mornings' flags: about a third handled with a call, one in eight dismissed with a
    reason, through the flags services (the back-test shows both)."""
    from flags import services as flag_services
    from flags.models import LIVE_FLAG_STATUSES, Flag

    now = timezone.now()
    live = list(
        Flag.objects.filter(status__in=LIVE_FLAG_STATUSES, rule__isnull=False)
        .select_related("client", "assigned_to")
        .order_by("pk")
    )
    for flag in live:
        if flag.assigned_to is None:
            continue
        draw = rng.random()
        # A call logged for an earlier flag of the client settles its other contact flags at once.
        if not Flag.objects.filter(pk=flag.pk, status__in=LIVE_FLAG_STATUSES).exists():
            continue
        if draw < 0.33:
            flag_services.flag_handle_with_call(
                flag=flag, by=flag.assigned_to, kind="call", occurred_at=now - dt.timedelta(hours=rng.randint(1, 6)),
                summary="Called about the flag; agreed next steps.", sentiment="neutral", outcome="Follow-up booked.",
            )  # fmt: skip
        elif draw < 0.45:
            flag_services.flag_dismiss(flag=flag, by=flag.assigned_to, reason=rng.choice(DISMISS_REASONS))


REVIEW_WINS = [
    "Second warehouse went live on time; order errors down by a third.",
    "Finance now uses the monthly export instead of their spreadsheet.",
    "Regional managers log in weekly; adoption above 80%.",
]
REVIEW_ISSUES = [
    "Late deliveries in the north region during the peak weeks.",
    "Two escalations about invoice formats; fixed, but trust dented.",
    "The champion is changing roles; need a new sponsor in operations.",
]
REVIEW_NEXT = [
    "Pilot the returns module in one region; agree success criteria first.",
    "Quarterly usage report per region; meet the new operations lead.",
    "Prepare the renewal: ROI summary and a three-year proposal.",
]
REVIEW_ACTIONS = [
    ("Send the usage report per region", False),
    ("Root-cause analysis of the late deliveries", True),
    ("Introduce the new operations lead to support", False),
    ("Proposal for the returns module pilot", True),
    ("Schedule training for the finance team", False),
]
PLAN_OBJECTIVES = [
    ("Cut order-to-delivery time", "-20% by year end"),
    ("Roll out to all regional sites", "12 of 12 sites live"),
    ("Weekly active users", "80% of licences"),
    ("Replace the legacy reporting tool", "Switched off by Q2"),
]
PLAN_OPPORTUNITIES = [
    ("Returns module", "upsell"),
    ("Analytics add-on for finance", "cross_sell"),
    ("Extra licences for the south region", "upsell"),
    ("Integration service package", "cross_sell"),
]
PLAN_RISKS = [
    ("Budget freeze next fiscal year", "Show the savings per site before the budget round."),
    ("Champion leaving", "Build a second relationship with the operations lead."),
    ("Competitor pitching a cheaper tool", "Quarterly ROI summary for the CFO."),
]


def _seed_reviews(rng, managed, today, history_days) -> None:
    """Reviews in every state for this quarter and the last one, account plans for key accounts.

    Written through the reviews services (snapshots, follow-ups, satisfaction KPI, last_review_on),
    after a short KPI backfill so the previous quarter can be compared with the one before it.
    """
    from core.dates import Quarter
    from kpis import ingest
    from kpis.models import Metric
    from reviews import services as reviews

    current = Quarter.containing(today)
    previous = current.previous()
    live = [c for c in managed if c.status in {ClientStatus.ACTIVE, ClientStatus.ONBOARDING, ClientStatus.PAUSED}]
    key = [c for c in live if c.is_key_account]
    others = [c for c in live if not c.is_key_account]
    owners = {u.pk: u for u in User.objects.filter(pk__in={c.owner_id for c in live})}
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(client__in=live, is_active=True).order_by("pk"):
        contacts.setdefault(contact.client_id, []).append(contact)
    # Dates seeded above stand for reviews held before the app was used: older than any review recorded here.
    legacy = [c for c in live if c.last_review_on and c.last_review_on >= previous.start]
    for client in legacy:
        client.last_review_on = previous.start - dt.timedelta(days=rng.randint(5, 60))
    Client.objects.bulk_update(legacy, ["last_review_on"], batch_size=500)
    reviewed_before = key + rng.sample(others, min(len(others), 25))
    reviewed_now = key[: max(1, len(key) * 3 // 4)] + rng.sample(others, min(len(others), 15))

    # KPI history older than the simulated days, for the clients reviewed last quarter.
    metrics = dict(Metric.objects.filter(key__in=["orders", "revenue"]).values_list("key", "pk"))
    first_day = previous.previous().start
    backfill = []
    for client in reviewed_before:
        size = {Segment.ENTERPRISE: 60, Segment.MID_MARKET: 20, Segment.SMB: 6}[client.segment] * rng.uniform(0.8, 1.2)
        day = first_day
        while day < today - dt.timedelta(days=history_days):
            orders = float(max(0, round(size * (0.6 if day.weekday() >= 5 else 1.0) * rng.uniform(0.8, 1.2))))
            backfill.append((client.pk, metrics["orders"], day, orders))
            backfill.append((client.pk, metrics["revenue"], day, round(orders * rng.uniform(90, 130), 2)))
            day += dt.timedelta(days=1)
    ingest.upsert_values(backfill)

    def plan_fields(client):
        return {
            "hypothesis": f"We believe that moving {client.name.split()[0]}'s regional sites onto one platform will "
            "cut their delivery times by 20%; we will know it when late deliveries stay under 3%.",
            "revenue_target": str(round(float(client.arr) * rng.uniform(1.1, 1.4), -3)),
            "objectives": [
                {"objective": text, "target": target, "status": rng.choice(["on_track", "on_track", "at_risk"])}
                for text, target in rng.sample(PLAN_OBJECTIVES, 2)
            ],
            "opportunities": [
                {
                    "title": title,
                    "kind": kind,
                    "estimated_value": str(rng.randrange(10_000, 120_000, 1000)),
                    "stage": rng.choice(["identified", "qualified", "proposed"]),
                }
                for title, kind in rng.sample(PLAN_OPPORTUNITIES, 2)
            ],
            "stakeholders": [
                {"contact": c.pk, "how": "Monthly call with usage figures; invite to the quarterly review."}
                for c in list({f"{c.first_name} {c.last_name}": c for c in contacts.get(client.pk, [])}.values())[:2]
            ],
            "risks": [
                {"risk": risk, "impact": rng.choice(["medium", "high"]), "mitigation": how}
                for risk, how in rng.sample(PLAN_RISKS, 1)
            ],
        }

    plans = {}
    for client in key:
        plans[client.pk] = reviews.account_plan_save(
            client=client,
            by=owners[client.owner_id],
            expected_version=None,
            today=previous.start + dt.timedelta(days=rng.randint(0, 20)),
            **plan_fields(client),
        )

    def review(client, quarter, state, planned_on):
        owner = owners[client.owner_id]
        item = reviews.review_plan(
            client=client,
            by=owner,
            year=quarter.year,
            quarter=quarter.quarter,
            planned_on=planned_on,
            contacts=contacts.get(client.pk, [])[:2],
            colleagues=[owner],
            agenda="Numbers of the quarter, open commitments, plan for the next one.",
        )
        if state == "planned":
            return
        prepared_on = max(quarter.start, min(today, planned_on - dt.timedelta(days=2)))
        item = reviews.review_prepare(review=item, by=owner, today=prepared_on)
        if state == "prepared":
            return
        actions = rng.sample(REVIEW_ACTIONS, rng.randint(1, 3))
        held_on = min(planned_on, today)
        item = reviews.review_hold(
            review=item,
            by=owner,
            expected_version=item.version,
            held_on=held_on,
            wins=rng.choice(REVIEW_WINS),
            issues=rng.choice(REVIEW_ISSUES),
            satisfaction=rng.choice([None, 6, 7, 8, 8, 9, 10]),
            goals_progress="On track for two of three goals; delivery times still behind.",
            next_quarter_plan=rng.choice(REVIEW_NEXT),
            action_items=[
                {
                    "title": title,
                    # A held (not closed) review keeps one item to assign, as in real life.
                    "owner": None if state == "held" and index == 0 else owner,
                    "due_date": held_on + dt.timedelta(days=rng.randint(7, 30)),
                    "is_commitment": promised,
                }
                for index, (title, promised) in enumerate(actions)
            ],
            today=today,
        )
        if state == "closed":
            reviews.review_close(review=item, by=owner)

    # Every state shows up (a fixed mix, in random order): mostly closed last quarter, mostly ahead this one.
    before_mix = ["closed"] * 6 + ["held"] * 2 + ["prepared", "planned"]
    for index, client in enumerate(rng.sample(reviewed_before, len(reviewed_before))):
        state = before_mix[index % len(before_mix)]
        review(client, previous, state, previous.end - dt.timedelta(days=rng.randint(0, 25)))

    # Some plans were revisited since their review: "what changed since the last review".
    for client in rng.sample(key, len(key) // 2):
        plan = plans[client.pk]
        objectives = [dict(o, status=rng.choice(["on_track", "achieved", "at_risk"])) for o in plan.objectives]
        reviews.account_plan_save(
            client=client,
            by=owners[client.owner_id],
            expected_version=plan.version,
            today=today - dt.timedelta(days=rng.randint(0, 20)),
            objectives=objectives,
            revenue_target=str(round(float(plan.revenue_target or 0) * 1.1, -3)),
        )

    elapsed = (today - current.start).days
    now_mix = ["planned"] * 4 + ["prepared"] * 3 + ["held"] * 2 + ["closed"]
    for index, client in enumerate(rng.sample(reviewed_now, len(reviewed_now))):
        state = now_mix[index % len(now_mix)]
        if elapsed < 3 and state in {"held", "closed"}:  # the quarter has barely begun
            state = "prepared"
        if state in {"held", "closed"}:
            planned_on = current.start + dt.timedelta(days=rng.randint(0, elapsed))
        else:
            planned_on = today + dt.timedelta(days=rng.randint(1, max(1, (current.end - today).days)))
        review(client, current, state, planned_on)


def _seed_contracts(rng, managed, today, *, count: int = 40) -> None:
    """A few contracts in EUR and USD (rates for the last 120 days) and renewals in every stage."""
    from contracts import services as contract_services
    from contracts.models import ContractStatus, RenewalStage

    admin = User.objects.get(username="admin_ada")
    for days_ago in range(0, 120, 7):
        rate = Decimal("0.92") + Decimal(rng.randint(-20, 20)) / 1000
        contract_services.exchange_rate_set(
            by=admin, currency="USD", date=today - dt.timedelta(days=days_ago), rate=rate
        )
    for index, client in enumerate(managed[:count]):
        start = today - dt.timedelta(days=rng.randint(200, 700))
        term = rng.choice([12, 12, 24, 36])
        while contract_services.term_end(start, term) < today - dt.timedelta(days=20):
            start = contract_services.add_months(start, term)  # the current term of a long relationship
        contract_services.contract_create(
            by=client.owner, client=client, today=today, number=f"DEMO-{index + 1:05d}", start_date=start,
            term_months=term, value=Decimal(rng.randrange(12_000, 400_000, 1000)) * term / 12,
            currency="USD" if index % 3 == 0 else "EUR", status=ContractStatus.ACTIVE, auto_renew=rng.random() < 0.3,
        )  # fmt: skip
    contract_services.renewals_open_due(today=today, horizon_days=150)
    from contracts.models import Renewal

    outcomes = {
        RenewalStage.IN_PROGRESS: {"forecast_call": "pipeline"},
        RenewalStage.AT_RISK: {"forecast_call": "best_case"},
        RenewalStage.COMMITTED: {"forecast_call": "commit"},
        RenewalStage.RENEWED: {},
        RenewalStage.CHURNED: {"churn_reason": "Budget cut after a merger"},
        RenewalStage.DOWNSOLD: {},
    }
    renewals = list(Renewal.objects.select_related("contract", "client__owner").order_by("due_on"))
    for renewal, (stage, extra) in zip(renewals[1:], outcomes.items(), strict=False):
        if stage == RenewalStage.DOWNSOLD:
            extra = {"new_value": (renewal.contract.value * Decimal("0.7")).quantize(Decimal("1"))}
        contract_services.renewal_update(
            renewal=renewal, by=renewal.client.owner, expected_version=None, today=today, stage=stage,
            forecast_amount=renewal.contract.value, **extra,
        )  # fmt: skip
