"""Demo surveys for `make run` (through the services): NPS rounds last quarter and this one, a few CSAT rounds,
answers from promoters, passives and detractors (with reasons), contacts who did not answer, quarterly schedules
for key accounts. The answers become the ``nps`` and ``csat`` KPI values like real ones."""

from __future__ import annotations

import datetime as dt
import random

from clients.models import Client, ClientStatus, Contact
from core.dates import Quarter
from surveys import services
from surveys.models import Survey, SurveyInvitation, SurveyKind

REASONS = {
    "promoter": [
        "Our account manager answers the same day.",
        "The rollout went exactly as planned.",
        "Reliable deliveries, and the reports save us hours.",
        "",
    ],
    "passive": ["Good service, but the invoices are hard to read.", "Fine overall; onboarding took long.", ""],
    "detractor": [
        "Three late deliveries this month and nobody called us.",
        "Support tickets stay open for weeks.",
        "The price went up and the service did not get better.",
    ],
}


def _nps_score(rng: random.Random) -> int:
    group = rng.choices(["promoter", "passive", "detractor"], weights=[5, 3, 2])[0]
    return {"promoter": rng.choice([9, 10]), "passive": rng.choice([7, 8]), "detractor": rng.randint(2, 6)}[group]


def _reason(rng: random.Random, kind: str, score: int) -> str:
    if kind == SurveyKind.CSAT:
        group = "promoter" if score >= 4 else ("detractor" if score <= 2 else "passive")
    else:
        group = "promoter" if score >= 9 else ("detractor" if score <= 6 else "passive")
    return rng.choice(REASONS[group])


def seed(*, today: dt.date, now: dt.datetime, seed: int = 42, limit: int = 40) -> int:
    """Survey up to ``limit`` live clients; returns the answers recorded."""
    if Survey.objects.exists():
        return 0
    rng = random.Random(seed + 19)
    clients = list(
        Client.objects.filter(status=ClientStatus.ACTIVE, archived_at=None)
        .exclude(owner=None)
        .select_related("owner")
        .order_by("pk")[: limit * 2]
    )
    clients = rng.sample(clients, min(limit, len(clients)))
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(client__in=clients, is_active=True).exclude(email="").order_by("pk"):
        contacts.setdefault(contact.client_id, []).append(contact)
    previous = Quarter.containing(today).previous()
    answers = 0
    for index, client in enumerate(clients):
        asked = contacts.get(client.pk, [])[:4]
        if not asked:
            continue
        rounds = [(SurveyKind.NPS, previous.start + dt.timedelta(days=rng.randint(10, 40)))]
        this_quarter = today - dt.timedelta(
            days=rng.randint(3, min(40, (today - Quarter.containing(today).start).days + 3))
        )
        rounds.append((SurveyKind.NPS, max(this_quarter, previous.end + dt.timedelta(days=1))))
        if index % 3 == 0:
            rounds.append((SurveyKind.CSAT, today - dt.timedelta(days=rng.randint(2, 20))))
        for kind, day in rounds:
            sent_at = now - dt.timedelta(days=(today - day).days, hours=rng.randint(0, 6))
            sent = services.survey_send(client=client, kind=kind, contacts=asked, by=client.owner, now=sent_at)
            for invitation in SurveyInvitation.objects.filter(survey=sent.survey).select_related("contact"):
                if rng.random() < 0.3:
                    continue  # did not answer (yet): the response rate shows it, reminders go to them
                answered_at = sent_at + dt.timedelta(hours=rng.randint(1, 96))
                if answered_at >= now:
                    continue
                score = _nps_score(rng) if kind == SurveyKind.NPS else rng.choices([5, 4, 3, 2, 1], [4, 4, 2, 1, 1])[0]
                services.survey_answer(
                    invitation=invitation, score=score, comment=_reason(rng, kind, score), now=answered_at
                )
                answers += 1
        if client.is_key_account:
            services.survey_schedule_save(
                client=client, kind=SurveyKind.NPS, contacts=asked, every_months=3,
                next_on=Quarter.containing(today).next().start, by=client.owner, today=today,
            )  # fmt: skip
    return answers
