"""End to end: sales hands off a deal, the AM accepts it, KPIs arrive through the API, the morning
evaluation flags the account, the AM logs the call from the flag and the flag resolves, and the
team lead sees the account on the portfolio."""

import datetime as dt
import json
import urllib.request

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from clients.models import Client
from flags import tasks
from flags.models import Flag, FlagStatus, Resolution, TriggerRule
from tests.browser.conftest import login
from tests.factories import default_metric

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def push_kpis(base_url: str, token: str, external_id: str) -> dict:
    today = timezone.localdate()
    rows = [
        {
            "client": external_id,
            "metric": "orders",
            "date": (today - dt.timedelta(days=age)).isoformat(),
            "value": 30 if age < 7 else 100,
        }
        for age in range(35)
    ]
    request = urllib.request.Request(
        f"{base_url}/api/v1/kpis/values/",
        data=json.dumps({"rows": rows}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_from_handoff_to_a_resolved_flag_on_the_portfolio(page, live_server, sales_sam, am_alice, lead_lena, admin_ada):
    # Sales: a prospect with its decision maker, handed off to Alice.
    login(page, "sales_sam")
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Name").fill("Brightwater Foods")
    page.get_by_label("External id").fill("ACC-BRIGHT")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("First name").fill("Dora")
    page.get_by_label("Role").select_option("decision_maker")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("link", name="Hand off to AM").click()
    page.get_by_label("Deal name").fill("Brightwater rollout")
    page.get_by_label("Deal amount").fill("84000")
    page.get_by_label("Close date").fill((timezone.localdate() - dt.timedelta(days=2)).isoformat())
    page.get_by_label("Hand off to account manager").select_option(str(am_alice.pk))
    page.get_by_label("Customer goals").fill("Halve stock-outs in the stores.")
    page.get_by_role("button", name="Send handoff").click()
    page.get_by_role("heading", name="Needs review").wait_for()

    # The AM accepts it.
    page.context.clear_cookies()
    login(page, "am_alice")
    page.get_by_role("button", name="Clients", exact=True).click()  # the top bar's Clients menu
    page.get_by_role("link", name="Handoffs").click()
    page.get_by_role("link", name="Brightwater Foods").click()
    page.get_by_role("link", name="Accept").click()  # accepting asks first (issue 13)
    page.get_by_role("button", name="Accept the handoff").click()
    page.get_by_role("heading", name="Brightwater Foods").wait_for()
    client = Client.objects.get(external_id="ACC-BRIGHT")
    assert client.owner == am_alice

    # The company backend pushes the KPIs; the morning evaluation runs.
    default_metric("orders")
    token = Token.objects.create(user=admin_ada).key
    assert push_kpis(live_server.url, token, "ACC-BRIGHT") == {"received": 35, "written": 35}
    TriggerRule.objects.create(
        name="Orders falling",
        kind="kpi_drop",
        params={"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28},
        severity=3,
    )
    tasks.run_daily_evaluation.delay()
    flag = Flag.objects.get(client=client)
    assert flag.assigned_to == am_alice and flag.status == FlagStatus.OPEN

    # The AM sees it on her day and logs the call from the flag.
    page.goto("/my-day/")
    page.get_by_text("Orders 7 days: 210 vs 700 average of the previous 4 weeks, -70%").wait_for()
    page.get_by_role("button", name="Log call").click()
    page.get_by_label("Summary").fill("Warehouse strike; orders back to normal next week.")
    page.get_by_role("button", name="Log call and resolve").click()
    page.get_by_text("Call logged; the flag on Brightwater Foods is resolved.").wait_for()
    flag.refresh_from_db()
    assert (flag.status, flag.resolution) == (FlagStatus.RESOLVED, Resolution.HANDLED)
    assert flag.interaction.summary == "Warehouse strike; orders back to normal next week."

    # The team lead sees the account, its owner and its health on the portfolio.
    page.context.clear_cookies()
    login(page, "lead_lena")
    page.goto("/portfolio/")
    risky = page.locator("table").filter(has_text="Pulled down by")
    risky.get_by_role("link", name="Brightwater Foods").wait_for()
    assert page.locator("table").filter(has_text="Open flags").get_by_text("Alice").count() >= 1
    assert page.csp_violations == []
