"""`make run` demo data: reviews in every state for this quarter and the last, plans for key accounts."""

from __future__ import annotations

import pytest
from django.db.models import Max, Q
from django.utils import timezone

from clients.models import Client
from core.dates import Quarter
from dashboards.demo_data import seed_demo
from interactions.models import FollowUp, FollowUpOrigin
from reviews.models import HELD_STATUSES, AccountPlan, AccountReview

pytestmark = pytest.mark.django_db


def test_demo_reviews_and_plans_are_consistent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(clients=80, seed=7)
    current = Quarter.containing(timezone.localdate())
    for quarter in (current, current.previous()):
        statuses = set(
            AccountReview.objects.filter(year=quarter.year, quarter=quarter.quarter).values_list("status", flat=True)
        )
        assert "planned" in statuses and "prepared" in statuses, (quarter, statuses)
    assert {"held", "closed"} <= set(AccountReview.objects.values_list("status", flat=True))
    key_accounts = Client.objects.filter(is_key_account=True, status__in=["active", "onboarding", "paused"])
    assert AccountPlan.objects.count() == key_accounts.count() > 0
    assert all(r.snapshot["kpis"] for r in AccountReview.objects.exclude(status="planned"))
    assert not AccountReview.objects.filter(status="closed", action_items__followup__isnull=True).exists()
    assert FollowUp.objects.filter(origin=FollowUpOrigin.REVIEW).exists()
    latest = Client.objects.filter(reviews__status__in=HELD_STATUSES).annotate(
        held=Max("reviews__held_on", filter=Q(reviews__status__in=HELD_STATUSES))
    )
    assert all(c.last_review_on == c.held for c in latest)
