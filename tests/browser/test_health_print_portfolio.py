"""In Chromium at 1366 and 390 px: the health model page flow (errors on the field before any confirmation, the
confirmation with the clients that change band, restore, re-score now), the review print page's options for the
client, the portfolio as of a past day, and the trigger rules list; none overflows horizontally."""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import ClientStatus, ClientStatusChange
from contracts.models import Contract, ContractStatus
from core.dates import Quarter
from core.formats import format_day
from health import services as health_services
from health.models import HealthModel, HealthScore
from kpis.models import Metric
from reviews import services as review_services
from reviews.tests.builders import seed_daily
from tests.browser.conftest import login
from tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _no_horizontal_overflow(page):
    sizes = page.evaluate(
        "(() => { const m = document.querySelector('#main') || document.querySelector('main');"
        " return [m.scrollWidth, m.clientWidth, document.documentElement.scrollWidth, window.innerWidth]; })()"
    )
    assert sizes[0] <= sizes[1], f"main column overflows: {sizes}"
    assert sizes[2] <= sizes[3], f"page overflows: {sizes}"


def _metrics():
    # Another transactional test may have flushed the metrics the migrations created.
    for key, name in (("orders", "Orders"), ("nps", "NPS")):
        Metric.objects.get_or_create(key=key, defaults={"name": name, "unit": "", "aggregation": "sum"})


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_health_model_page_flow(page, admin_ada, am_alice, viewport):
    _metrics()
    model = health_services.health_model_ensure_default()
    today = timezone.localdate()
    for i in range(3):
        client = ClientFactory(name=f"Green Account {i}", owner=am_alice, team=am_alice.team)
        HealthScore.objects.create(client=client, date=today, model=model, score=85, band="green", coverage=1,
                                   components=[])  # fmt: skip
    page.set_viewport_size(viewport)
    login(page, "admin_ada")
    page.goto("/health/model/")
    rows = page.locator("table.health-components tbody tr")
    # Type a weight: every share of the total follows.
    first_weight = rows.nth(0).get_by_label("Weight")
    first_weight.fill("14")
    assert rows.nth(0).locator("[data-share]").inner_text() != ""
    # A bad value: refused on its field, in words, and no confirmation is asked.
    rows.nth(0).get_by_label("Fall that scores 0").fill("40")
    page.get_by_role("button", name="Save as new version…").click()
    error = page.locator("[data-error-for='c-0-drop_to_zero']")
    error.wait_for()
    assert "0.5 is a 50% fall" in error.inner_text()
    assert page.locator("#confirm-save").count() == 0
    _no_horizontal_overflow(page)
    _shot(page, f"health-model-error-{viewport['width']}")
    # Fixed: a draft that only reads engagement turns the green accounts red; the confirmation lists them.
    page.goto("/health/model/")
    count = rows.count()
    for index in range(1, count):
        rows.nth(index).get_by_label("Component").select_option("")
    rows.nth(0).get_by_label("Component").select_option("engagement")
    page.get_by_role("button", name="Save as new version…").click()
    confirm = page.locator("#confirm-save")
    confirm.wait_for()
    assert "3 of 3 clients would change band" in confirm.inner_text()
    changes = page.locator("#band-changes")
    assert changes.get_by_role("link", name="Green Account 0").is_visible()
    assert HealthModel.objects.count() == 1
    _no_horizontal_overflow(page)
    _shot(page, f"health-model-confirm-{viewport['width']}")
    page.get_by_role("button", name="Yes, save as a new version").click()
    page.get_by_text("Saved as version 2").wait_for()
    # The first version: viewed, then restored as version 3.
    page.locator("#versions").get_by_role("link", name="View or restore").click()
    page.get_by_role("heading", name="Health model version 1").wait_for()
    _no_horizontal_overflow(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restore version 1 as a new version").click()
    page.get_by_text("Version 1 restored as version 3").wait_for()
    assert HealthModel.objects.get(is_active=True).restored_from.version == 1
    # Re-score now: queued with the workers; the status says so and follows it.
    page.get_by_role("button", name="Re-score all clients now").click()
    page.locator(
        "[data-rescore-status='queued'], [data-rescore-status='running'], [data-rescore-status='done']"
    ).wait_for()
    _no_horizontal_overflow(page)
    _shot(page, f"health-model-rescore-{viewport['width']}")
    assert page.csp_violations == []


def _prepared_review(am_alice, client):
    _metrics()
    Metric.objects.get_or_create(key="satisfaction", defaults={"name": "Satisfaction", "aggregation": "last"})
    today = timezone.localdate()
    quarter = Quarter.containing(today)
    seed_daily(client, "orders", quarter.previous().start, quarter.previous().end, 10)
    seed_daily(client, "orders", quarter.start, today, 12)
    review = review_services.review_plan(
        client=client, by=am_alice, year=quarter.year, quarter=quarter.quarter, planned_on=today
    )
    review = review_services.review_prepare(review=review, by=am_alice)
    return review_services.review_hold(
        review=review, by=am_alice, expected_version=review.version, held_on=today, satisfaction=8,
        wins="Second warehouse live", action_items=[{"title": "Send the usage report", "owner": am_alice}],
    )  # fmt: skip


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_review_print_page_options(page, am_alice, alice_client, viewport):
    review = _prepared_review(am_alice, alice_client)
    page.set_viewport_size(viewport)
    login(page, "am_alice")
    page.goto(reverse("reviews:print", args=[review.pk]))
    page.get_by_role("heading", name="Nordwind Logistics").wait_for()
    # Client-facing by default: no internal health score, no overdue commitments; satisfaction once.
    assert page.locator("[data-figure='health']").count() == 0
    assert "overdue" not in page.locator("[data-figure='commitments']").inner_text()
    assert page.locator(".print-figure-label", has_text="Satisfaction").count() == 1
    assert "8/10" in page.locator("[data-figure='satisfaction']").inner_text().replace(" ", "")
    _no_horizontal_overflow(page)
    _shot(page, f"review-print-default-{viewport['width']}")
    page.get_by_label("our internal health score").check()
    page.get_by_label("overdue commitments").check()
    page.get_by_role("button", name="Update").click()
    page.locator("[data-figure='health']").wait_for()
    assert "overdue" in page.locator("[data-figure='commitments']").inner_text()
    _no_horizontal_overflow(page)
    page.emulate_media(media="print")
    assert not page.locator(".print-toolbar").is_visible()
    _shot(page, f"review-print-included-{viewport['width']}")
    assert page.csp_violations == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_portfolio_as_of_a_past_day(page, lead_lena, am_alice, viewport):
    today = timezone.localdate()
    past = today - dt.timedelta(days=40)
    model = HealthModel.objects.create(version=1, components=[{"kind": "engagement", "weight": 1}], is_active=True)
    for i in range(4):
        client = ClientFactory(name=f"Account {i}", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE,
                               renewal_date=today - dt.timedelta(days=1) if i == 0 else None)  # fmt: skip
        ClientStatusChange.objects.create(
            client=client, status=ClientStatus.ACTIVE, effective_on=today - dt.timedelta(400)
        )
        Contract.objects.create(client=client, number=f"C-{i}", start_date=today - dt.timedelta(days=300),
                                end_date=today + dt.timedelta(days=65), term_months=12, value=Decimal(12_000),
                                status=ContractStatus.ACTIVE)  # fmt: skip
        for week in range(0, 12, 3):  # scores on some weeks only
            HealthScore.objects.create(client=client, date=today - dt.timedelta(weeks=week), model=model,
                                       score=40 + 10 * i, band="yellow", coverage=1, components=[])  # fmt: skip
    page.set_viewport_size(viewport)
    login(page, "lead_lena")
    page.goto("/portfolio/")
    page.locator("#renewals-overdue").get_by_text("1 day overdue").wait_for()
    page.get_by_label("As of").fill(past.isoformat())
    page.get_by_role("button", name="Apply").click()
    page.get_by_text(f"as it stood on {format_day(past)}").wait_for()  # the field takes ISO, the page says it in words
    assert page.locator("[data-figure='accounts']").inner_text() == "4"
    assert "48,000 EUR ARR" in page.locator("[data-figure='arr']").inner_text().replace("\xa0", " ")
    page.locator("#no-scores-note").wait_for()  # no scores stored on that day: said, not shown as zero
    points = page.evaluate(
        "() => { const c = Chart.getChart(document.querySelector(\"canvas[data-chart='trend']\"));"
        " const xs = c.data.datasets[0].data.map(p => p.x); return [xs.length, xs[1] - xs[0], xs[11] - xs[10]]; }"
    )
    assert points == [12, 7 * 86_400_000, 7 * 86_400_000]  # 12 weekly points, spaced by their dates
    _no_horizontal_overflow(page)
    _shot(page, f"portfolio-as-of-{viewport['width']}")
    assert page.csp_violations == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_rules_list_fits(page, admin_ada, viewport):
    from flags.models import RuleScorecard, TriggerRule

    figures = {"flags_per_am_week": 0.42, "precision": 0.31, "base_rate": 0.12, "lift": 2.6, "recall": 0.55,
               "lead_median": 37, "handled_share": 0.6, "dismissed_share": 0.2}  # fmt: skip
    today = timezone.localdate()
    for n in range(4):
        rule = TriggerRule.objects.create(name=f"No contact for a long while, key accounts {n}", kind="no_contact",
                                          params={"mode": "days", "days": 30 + n}, severity=1 + n % 4)  # fmt: skip
        RuleScorecard.objects.create(rule=rule, computed_at=timezone.now(), start=today - dt.timedelta(days=180),
                                     end=today, horizon_days=90, figures=figures)  # fmt: skip
    page.set_viewport_size(viewport)
    login(page, "admin_ada")
    page.goto(reverse("flags:rules"))
    page.locator("table.rules-table").wait_for()
    _no_horizontal_overflow(page)
    _shot(page, f"rules-{viewport['width']}")
