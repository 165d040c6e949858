"""The shared plan page as a client's contact meets it on a phone and on a laptop: a link, a code by e-mail, the
plan, a tick; no horizontal overflow, no console error, no CSP violation."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from clients.models import ClientStatus
from notifications.models import OutboxMessage
from reviews.models import AccountPlan, AccountReview, ReviewActionItem, ReviewStatus
from sharing import services
from tests.factories import ClientFactory, ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shared(am_alice, live_server):
    client = ClientFactory(
        name="Nordwind Logistik GmbH", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE
    )
    dora = ContactFactory(
        client=client, first_name="Dora", last_name="Lindqvist-Hämäläinen", email="dora@nordwind.example"
    )
    AccountPlan.objects.create(
        client=client,
        objectives=[
            {"objective": "Cut returns handling cost by 15% across all three warehouses", "target": "2 EUR per order",
             "status": "on_track", "shared": True}
        ],
    )  # fmt: skip
    review = AccountReview.objects.create(
        client=client, year=2026, quarter=3, status=ReviewStatus.HELD, planned_on=dt.date(2026, 9, 10),
        held_on=dt.date(2026, 9, 10),
    )  # fmt: skip
    item = ReviewActionItem.objects.create(
        review=review, title="Share last month's return reasons per warehouse", shared_with_client=True, contact=dora
    )
    [new] = services.shared_links_create(
        client=client, contacts=[dora], by=am_alice, expires_in_days=30, base_url=live_server.url
    )
    return new, item


@pytest.mark.parametrize("width", [1366, 390])
def test_a_contact_opens_the_plan_with_a_code_and_ticks_their_item(browser, live_server, shared, width):
    new, item = shared
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in {"error", "warning"} else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(new.url)
    page.get_by_role("button", name="Send me a code").click()
    code = re.search(
        r"(\d{6})", OutboxMessage.objects.filter(key__startswith="shared-code-").latest("pk").subject
    ).group(1)
    page.get_by_label("One-time code").fill(code)
    page.get_by_role("button", name="Open the plan").click()
    page.get_by_role("heading", name="Our plan with Nordwind Logistik GmbH").wait_for()
    page.get_by_role("button", name="Mark as done").click()
    page.get_by_role("button", name="Mark as not done").wait_for()
    item.refresh_from_db()
    assert item.done_by_contact_at is not None
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"horizontal overflow at {width} px: {widths}"
    assert problems == []
    context.close()
