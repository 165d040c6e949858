"""Prepare freezes the quarter into the review; later data changes leave the snapshot alone."""

from __future__ import annotations

import datetime as dt

import pytest

from core.dates import Quarter
from flags.models import Flag
from interactions.models import FollowUp, FollowUpStatus, Interaction
from kpis import ingest
from kpis.models import Metric
from reviews import selectors, services
from reviews.models import AccountReview, ReviewStatus
from reviews.tests.builders import QUARTER, TODAY, at, plan_review, prepared_review, score, seed_daily

pytestmark = pytest.mark.django_db


def _kpi(snapshot, key):
    return next(k for k in snapshot["kpis"] if k["key"] == key)


def test_prepare_freezes_kpis_health_interactions_and_commitments(quarter_data, am_alice):
    review = prepared_review(quarter_data, am_alice)
    review.refresh_from_db()
    data = review.snapshot
    assert review.status == ReviewStatus.PREPARED
    assert review.prepared_by == am_alice and review.prepared_at is not None

    assert data["period"]["label"] == "Q3 2025" and data["period"]["complete"] is True
    assert (data["period"]["start"], data["period"]["end"]) == ("2025-07-01", "2025-09-30")
    assert data["period"]["previous"] == {"label": "Q2 2025", "start": "2025-04-01", "end": "2025-06-30", "days": 91}

    orders = _kpi(data, "orders")  # summed: 92 days x 12 vs 91 days x 10
    assert (orders["current"], orders["previous"]) == (1104, 910)
    assert orders["change_pct"] == pytest.approx(21.3, abs=0.05)
    assert (orders["trend"], orders["verdict"]) == ("up", "better")
    late = _kpi(data, "late_deliveries")  # more late deliveries is bad news
    assert (late["trend"], late["verdict"]) == ("up", "worse")
    assert {k["key"] for k in data["kpis"]} == {"orders", "late_deliveries"}  # no data, no row
    assert len(data["kpi_weeks"]["orders"]) in {13, 14}

    health = data["health"]
    assert health["start"]["score"] == 80 and health["start"]["date"] == "2025-06-30"
    assert health["end"]["score"] == 60 and health["end"]["band"] == "yellow"
    assert health["end"]["weakest"] == "KPI trend: late deliveries"
    assert health["end"]["components"][0]["explanation"] == "Orders explained on 2025-09-30"
    assert health["change"] == -20
    assert [point[1] for point in health["series"]] == [70, 60]

    interactions = data["interactions"]
    assert interactions["total"] == 2  # the private note and the June call stay out
    assert interactions["by_kind"] == {"call": 1, "meeting": 1}
    assert interactions["by_sentiment"]["negative"] == 1
    assert [i["summary"] for i in interactions["items"]] == ["Escalation meeting", "Kick-off call"]
    assert interactions["items"][1]["contacts"] == ["Dora Example"]
    assert "private" not in str(interactions)

    outcomes = {c["title"]: c["outcome"] for c in data["commitments"]["items"]}
    assert outcomes == {
        "Root-cause note": "kept",
        "Custom export": "kept_late",
        "Migration plan": "overdue",
    }
    assert data["commitments"]["counts"] == {"kept": 1, "kept_late": 1, "overdue": 1, "open": 0, "cancelled": 0}


def test_later_data_changes_do_not_change_a_prepared_snapshot(quarter_data, am_alice):
    review = prepared_review(quarter_data, am_alice)
    frozen = AccountReview.objects.get(pk=review.pk).snapshot

    seed_daily(quarter_data, "orders", QUARTER.start, QUARTER.end, 500)  # the backend corrects the quarter
    score(quarter_data, dt.date(2025, 9, 29), 5, "red")
    Interaction.objects.create(
        client=quarter_data, author=am_alice, kind="call", occurred_at=at(dt.date(2025, 8, 1)), summary="Late log"
    )
    FollowUp.objects.filter(title="Migration plan").update(status=FollowUpStatus.DONE)
    services.review_plan_update(
        review=review, by=am_alice, expected_version=review.version, agenda="Walk through the numbers"
    )

    stored = AccountReview.objects.get(pk=review.pk)
    assert stored.snapshot == frozen
    assert _kpi(stored.snapshot, "orders")["current"] == 1104
    # …while a fresh computation sees the new data: the snapshot really is a copy.
    live = selectors.review_snapshot(client=quarter_data, quarter=QUARTER, today=TODAY)
    assert _kpi(live, "orders")["current"] == 500 * 92
    assert live["interactions"]["total"] == 3


def test_holding_keeps_the_snapshot_and_a_refresh_is_explicit(quarter_data, am_alice):
    review = prepared_review(quarter_data, am_alice)
    seed_daily(quarter_data, "orders", QUARTER.start, QUARTER.end, 20)
    refreshed = services.review_prepare(review=review, by=am_alice, refresh=True, today=TODAY)
    assert _kpi(refreshed.snapshot, "orders")["current"] == 20 * 92
    held = services.review_hold(
        review=refreshed, by=am_alice, expected_version=refreshed.version, held_on=TODAY, today=TODAY
    )
    seed_daily(quarter_data, "orders", QUARTER.start, QUARTER.end, 1)
    assert _kpi(AccountReview.objects.get(pk=held.pk).snapshot, "orders")["current"] == 20 * 92


def test_a_running_quarter_is_compared_with_the_same_days_of_the_previous_one(alice_client, am_alice):
    q4 = Quarter(2025, 4)
    today = dt.date(2025, 10, 10)  # ten days into Q4
    seed_daily(alice_client, "orders", dt.date(2025, 7, 1), dt.date(2025, 9, 30), 10)
    seed_daily(alice_client, "orders", q4.start, today, 10)
    data = selectors.review_snapshot(client=alice_client, quarter=q4, today=today)
    orders = _kpi(data, "orders")
    assert data["period"]["complete"] is False
    assert data["period"]["previous"]["end"] == "2025-07-10"
    assert (orders["current"], orders["previous"], orders["trend"]) == (100, 100, "flat")


def test_last_value_kpis_compare_the_last_reading_of_each_quarter(alice_client, am_alice):
    metric = Metric.objects.get(key="satisfaction")
    ingest.upsert_values(
        [
            (alice_client.pk, metric.pk, dt.date(2025, 5, 1), 9.0),
            (alice_client.pk, metric.pk, dt.date(2025, 6, 20), 8.0),
            (alice_client.pk, metric.pk, dt.date(2025, 8, 1), 6.0),
        ]
    )
    satisfaction = _kpi(selectors.review_snapshot(client=alice_client, quarter=QUARTER, today=TODAY), "satisfaction")
    assert (satisfaction["current"], satisfaction["previous"], satisfaction["verdict"]) == (6, 8, "worse")


def test_open_flags_are_frozen_in_the_snapshot(alice_client, am_alice):
    Flag.objects.create(
        client=alice_client,
        title="Orders fell 40%",
        evidence="Orders last 28 days: 600, previous 28: 1,000",
        opened_on=dt.date(2025, 9, 20),
        last_seen_on=dt.date(2025, 9, 30),
    )
    Flag.objects.create(
        client=alice_client,
        title="Old flag",
        evidence="Resolved long ago",
        status="resolved",
        opened_on=dt.date(2025, 5, 1),
        last_seen_on=dt.date(2025, 5, 2),
    )
    review = prepared_review(alice_client, am_alice)
    assert [f["title"] for f in review.snapshot["flags"]] == ["Orders fell 40%"]
    assert review.snapshot["flags"][0]["evidence"].startswith("Orders last 28 days")


def test_a_quarter_that_has_not_started_cannot_be_prepared(alice_client, am_alice):
    review = plan_review(alice_client, am_alice, quarter=Quarter(2099, 1), planned_on=dt.date(2099, 3, 1))
    with pytest.raises(services.ApplicationError, match="has not started yet"):
        services.review_prepare(review=review, by=am_alice)
    assert AccountReview.objects.get(pk=review.pk).status == ReviewStatus.PLANNED


def test_a_snapshot_keeps_phrases_and_levels_so_each_reader_reads_it_in_their_language(alice_client, am_alice, client):
    """Health explanations and flag severities are kept as phrases and levels, written out when the page is read."""
    from django.urls import reverse

    from core.phrases import phrase
    from flags.models import Severity
    from reviews.templatetags.review_tags import period_label, severity_label

    day_score = score(alice_client, dt.date(2025, 9, 30), 55)
    said = phrase("health.kpis_on_time", count=3)
    day_score.components = [{**day_score.components[0], "explanation": "stale stored words", "said": said}]
    day_score.save()
    Flag.objects.create(
        client=alice_client,
        title="Orders fell 40%",
        evidence="Orders fell",
        severity=Severity.HIGH,
        opened_on=dt.date(2025, 9, 20),
        last_seen_on=dt.date(2025, 9, 30),
    )
    review = prepared_review(alice_client, am_alice)
    assert review.snapshot["health"]["end"]["components"][0]["said"] == said
    assert review.snapshot["flags"][0]["severity_level"] == Severity.HIGH
    assert severity_label(Severity.HIGH) == str(Severity.HIGH.label) and severity_label(None) == ""
    period = review.snapshot["period"]
    assert (period_label(period), period_label(period, "previous")) == ("Q3 2025", "Q2 2025")
    assert period_label({"label": "kept", "quarter": "nonsense"}) == "kept"  # a key it cannot read: the stored words

    client.force_login(am_alice)
    body = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    assert "All 3 KPIs arriving on time" in body and "stale stored words" not in body
    assert f'<span class="badge text-bg-light">{Severity.HIGH.label}</span>' in body
