"""An AM prepares, holds and closes a quarterly review, then opens the print page for the client."""

import datetime as dt

import pytest
from django.utils import timezone

from core.dates import Quarter
from interactions.models import FollowUp, FollowUpOrigin
from kpis.models import Metric, MetricValue
from reviews import services
from reviews.models import AccountReview, ReviewStatus
from reviews.tests.builders import seed_daily
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_prepare_hold_close_then_print(page, am_alice, alice_client):
    # Another transactional test may have flushed the metrics the migrations created.
    Metric.objects.get_or_create(key="orders", defaults={"name": "Orders", "unit": "orders", "aggregation": "sum"})
    today = timezone.localdate()
    quarter = Quarter.containing(today)
    seed_daily(alice_client, "orders", quarter.previous().start, quarter.previous().end, 10)
    seed_daily(alice_client, "orders", quarter.start, today, 12)
    review = services.review_plan(
        client=alice_client, by=am_alice, year=quarter.year, quarter=quarter.quarter, planned_on=today
    )

    login(page, "am_alice")
    page.goto(f"/clients/{alice_client.pk}/")
    panel = page.locator("#reviews-panel")
    panel.get_by_text(f"{quarter.label} review:").wait_for()
    panel.get_by_role("link", name="Prepare review").click()

    # Prepare: the page previews the live numbers, the button freezes them.
    page.get_by_text("Preview (live data, not saved yet)").wait_for()
    page.get_by_role("button", name="Prepare: freeze the snapshot").click()
    page.get_by_text("Prepared: the quarter's data is frozen into the review.").wait_for()
    assert page.locator("#review-status").inner_text() == "Prepared"
    assert page.locator("#kpi-table").get_by_role("rowheader", name="Orders").is_visible()

    # Hold: outcome, satisfaction and two action items, one without an owner yet.
    page.get_by_role("link", name="Hold").click()
    page.get_by_label("Wins").fill("Second warehouse live")
    page.get_by_label("Client satisfaction (1–10)").fill("8")
    page.get_by_label("Plan for next quarter").fill("Pilot the returns module")
    page.get_by_label("What (action item 1)").fill("Send the usage report")
    page.get_by_label("Due (action item 1)").fill((today + dt.timedelta(days=5)).isoformat())
    page.get_by_label("Promised to the client (action item 1)").check()
    page.get_by_label("What (action item 2)").fill("Pick the trainer")
    page.get_by_label("Owner (action item 2)").select_option(label="Unassigned: decide later")
    page.get_by_role("button", name="Record as held").click()
    page.get_by_text("Review held: outcome recorded.").wait_for()
    assert page.locator("#review-status").inner_text() == "Held"
    page.get_by_text("1 unassigned").wait_for()

    # Closing waits for every action item to have an owner.
    page.get_by_role("link", name="Close").click()
    page.get_by_text("1 action item still without an owner").wait_for()
    assert page.get_by_role("button", name="Close review").is_disabled()
    page.get_by_role("link", name="review page").click()
    page.get_by_label("Owner (Pick the trainer)").select_option(label="Alice")
    page.get_by_role("button", name="Assign “Pick the trainer”").click()
    page.get_by_text("“Pick the trainer” assigned; it is now a follow-up.").wait_for()
    page.get_by_role("link", name="Close").click()
    page.get_by_role("button", name="Close review").click()
    page.get_by_text(f"{quarter.label} review closed.").wait_for()
    assert page.locator("#review-status").inner_text() == "Closed"

    # The print page: the KPI table and the action items, charts drawn by the static script.
    page.get_by_role("link", name="Print").click()
    page.get_by_role("heading", name="Nordwind Logistics").wait_for()
    kpis = page.locator("#kpi-table")
    assert kpis.get_by_role("rowheader", name="Orders").is_visible()
    assert quarter.label in kpis.inner_text() and quarter.previous().label in kpis.inner_text()
    items = page.locator("#action-items")
    assert items.get_by_role("cell", name="Send the usage report").is_visible()
    assert items.get_by_role("cell", name="Pick the trainer").is_visible()
    assert page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-review-chart]')].every(c => Chart.getChart(c))"
    )
    page.emulate_media(media="print")
    assert not page.locator(".print-toolbar").is_visible()
    assert kpis.is_visible() and items.is_visible()
    assert page.csp_violations == []

    review = AccountReview.objects.get(pk=review.pk)
    assert review.status == ReviewStatus.CLOSED and review.satisfaction == 8
    followups = {f.title: f for f in FollowUp.objects.filter(origin=FollowUpOrigin.REVIEW)}
    assert set(followups) == {"Send the usage report", "Pick the trainer"}
    assert followups["Send the usage report"].is_commitment is True
    assert MetricValue.objects.get(client=alice_client, metric__key="satisfaction").value == 8


def test_account_plan_is_written_with_the_keyboard(page, am_alice, alice_client):
    login(page, "am_alice")
    page.goto(f"/clients/{alice_client.pk}/plan/edit/")
    hypothesis = page.get_by_label("Business goal (hypothesis)")
    assert hypothesis.evaluate("el => el === document.activeElement")  # the form opens ready to type
    page.keyboard.type("We believe faster deliveries grow their orders by 10%.")

    # Each row is typed cell after cell with Tab; a select takes the first letters of its option.
    page.get_by_label("Objective (objective 1)").click()  # really on screen, not clipped away
    page.keyboard.type("Cut late deliveries")
    page.keyboard.press("Tab")
    page.keyboard.type("under 2%")
    page.keyboard.press("Tab")
    page.keyboard.type("At r")
    assert page.get_by_label("Status (objective 1)").input_value() == "at_risk"
    page.get_by_label("Contact (stakeholder 1)").focus()
    page.keyboard.type("Dora")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Monthly usage call")
    page.get_by_label("Risk (risk 1)").focus()
    page.keyboard.type("Budget freeze")
    page.keyboard.press("Control+Enter")  # saves from anywhere in the form
    page.get_by_text("Account plan saved.").wait_for()

    assert page.get_by_role("cell", name="Cut late deliveries").is_visible()
    assert page.get_by_role("cell", name="Dora Example").is_visible()
    plan = alice_client.account_plan
    assert plan.objectives == [
        {"objective": "Cut late deliveries", "target": "under 2%", "status": "at_risk", "shared": False}
    ]
    assert plan.stakeholders[0]["how"] == "Monthly usage call"
    assert plan.risks == [{"risk": "Budget freeze", "impact": "medium", "mitigation": ""}]
    assert page.csp_violations == []
