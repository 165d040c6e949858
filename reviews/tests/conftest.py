"""Fixtures of the review tests (the personas come from the root conftest)."""

from __future__ import annotations

import datetime as dt

import pytest

from interactions.models import FollowUp, FollowUpOrigin, FollowUpStatus, Interaction
from reviews.tests.builders import QUARTER, at, score, seed_daily


@pytest.fixture
def quarter_data(alice_client, am_alice):
    """Orders 10/day in Q2 and 12/day in Q3 (+20%); late deliveries 1/day then 2/day (worse);
    health 80 -> 60; two calls and a private note; commitments kept, kept late, overdue, open."""
    client = alice_client
    q2 = QUARTER.previous()
    seed_daily(client, "orders", q2.start, q2.end, 10)
    seed_daily(client, "orders", QUARTER.start, QUARTER.end, 12)
    seed_daily(client, "late_deliveries", q2.start, q2.end, 1)
    seed_daily(client, "late_deliveries", QUARTER.start, QUARTER.end, 2)
    score(client, QUARTER.start - dt.timedelta(days=1), 80, "green")
    score(client, dt.date(2025, 8, 15), 70, "green")
    score(client, dt.date(2025, 9, 30), 60, "yellow", weakest="KPI trend: late deliveries")
    dora = client.contacts.get()
    call = Interaction.objects.create(
        client=client, author=am_alice, kind="call", occurred_at=at(dt.date(2025, 7, 10)), summary="Kick-off call"
    )
    call.contacts.add(dora)
    Interaction.objects.create(
        client=client,
        author=am_alice,
        kind="meeting",
        occurred_at=at(dt.date(2025, 9, 1)),
        summary="Escalation meeting",
        sentiment="negative",
    )
    Interaction.objects.create(
        client=client,
        author=am_alice,
        kind="note",
        occurred_at=at(dt.date(2025, 9, 2)),
        summary="Sponsor may leave (private)",
        is_private=True,
    )
    Interaction.objects.create(  # before the quarter: not in the snapshot
        client=client, author=am_alice, kind="call", occurred_at=at(dt.date(2025, 6, 20)), summary="Old call"
    )

    def commitment(title, due, *, status=FollowUpStatus.OPEN, completed=None, promised=None):
        return FollowUp.objects.create(
            client=client,
            owner=am_alice,
            title=title,
            due_date=due,
            promised_date=promised,
            is_commitment=True,
            status=status,
            completed_at=at(completed) if completed else None,
            origin=FollowUpOrigin.INTERACTION,
            created_by=am_alice,
        )

    commitment("Root-cause note", dt.date(2025, 7, 20), status=FollowUpStatus.DONE, completed=dt.date(2025, 7, 18))
    commitment(
        "Custom export",
        dt.date(2025, 8, 1),
        promised=dt.date(2025, 8, 5),
        status=FollowUpStatus.DONE,
        completed=dt.date(2025, 8, 20),
    )
    commitment("Migration plan", dt.date(2025, 9, 15))
    commitment("Renewal proposal", dt.date(2025, 12, 1))  # open, due after the snapshot date
    return client
