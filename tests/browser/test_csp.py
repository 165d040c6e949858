"""The main pages work under the Content-Security-Policy in a real browser: Chromium loads them with their
scripts, charts and htmx, and reports ZERO CSP violations, console errors or uncaught page errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from flags import services as flag_services
from health.services import health_model_ensure_default, health_scores_compute
from kpis import ingest
from kpis.models import Metric
from kpis.services import metrics_ensure_defaults
from tests.browser.conftest import login
from tests.factories import ClientFactory, HandoffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Reports every CSP violation the page sees (the console message alone can be missed for reports).
LISTEN_FOR_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def watched(browser, live_server):
    """A page whose console errors, page errors, failed requests and CSP violations are all recorded."""
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(LISTEN_FOR_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.problems = []
    page.on(
        "console",
        lambda message: (
            page.problems.append(f"console {message.type}: {message.text}")
            if message.type in {"error", "warning"}
            else None
        ),
    )
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on(
        "requestfailed",
        # A request the browser cancelled itself (navigating on while the favicon loads) is not a failure.
        lambda request: (
            page.problems.append(f"request failed: {request.url} {request.failure}")
            if "ERR_ABORTED" not in (request.failure or "")
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            page.problems.append(f"HTTP {response.status}: {response.url}") if response.status >= 400 else None
        ),
    )
    yield page
    context.close()


@pytest.fixture
def account_with_history(am_alice):
    """A client with 60 days of KPIs, daily scores and an open flag, so charts and panels have data."""
    # The data migration's KPIs: a transactional test may start after another one's flush removed them.
    metrics_ensure_defaults()
    client = ClientFactory(name="Nordwind Logistics", owner=am_alice, team=am_alice.team)
    today = timezone.localdate()
    rows = []
    for metric in Metric.objects.filter(key__in=["orders", "revenue"]):
        rows += [(client.pk, metric.pk, today - dt.timedelta(days=age), 100.0 + age) for age in range(60)]
    ingest.upsert_values(rows)
    health_model_ensure_default()
    for age in (14, 7, 0):
        health_scores_compute(on_date=today - dt.timedelta(days=age), client_ids=[client.pk])
    flag_services.flag_raise(client=client, by=am_alice, title="Orders falling", evidence="Orders -35% in 7 days")
    return client


def visit(page, path: str) -> list[str]:
    """Open ``path``, let it settle, and return every problem the browser reported on the way."""
    page.problems.clear()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    return [*page.problems, *(f"CSP: {v}" for v in violations)]


def test_main_pages_load_without_csp_violations_or_console_errors(
    watched, account_with_history, admin_ada, am_alice, sales_sam, team_north
):
    client = account_with_history
    prospect = ClientFactory(name="Brightside", owner=None, team=None, sales_owner=sales_sam, status="handoff_pending")
    handoff = HandoffFactory(client=prospect, created_by=sales_sam, to_team=team_north)
    login(watched, "am_alice")
    problems: dict[str, list[str]] = {}
    am_pages = [
        "/clients/",
        "/clients/team/",
        f"/clients/{client.pk}/",
        "/flags/",
        "/my-day/",
        "/handoffs/",
        "/follow-ups/",
        "/reviews/",
        "/search/?q=Nord",
        "/accounts/preferences/",
        "/calendar/",
        "/my-mailbox/",
        f"/clients/{client.pk}/sharing/",
        f"/clients/{client.pk}/surveys/",
        "/surveys/",
        # issue 13: every column of the client list, a saved view's list, the handoff confirmation
        "/clients/?cols=health&cols=trend&cols=status&cols=arr&cols=arr_base&cols=renewal&cols=last_contact"
        "&cols=next_contact&cols=next_follow_up&cols=contacts",
        "/clients/?health=red&is_key_account=true",
    ]
    for path in am_pages:
        problems[f"am_alice {path}"] = visit(watched, path)

    # The charts really drew (Chart.js from static/vendor, data from a JSON block, no inline script).
    watched.goto(f"/clients/{client.pk}/")
    watched.wait_for_load_state("networkidle")
    assert watched.locator("canvas").count() >= 1
    assert watched.evaluate("typeof window.Chart") == "function"
    assert watched.evaluate("typeof window.htmx") == "object"

    # htmx in place: the quick log form opens without leaving the page (needs script-src 'self' only).
    watched.get_by_role("button", name="Log interaction").click()
    watched.get_by_label("Summary").wait_for()
    problems["am_alice quick log (htmx)"] = [*watched.problems, *watched.evaluate("window.__cspViolations")]

    watched.context.clear_cookies()
    login_admin(watched)
    for path in [
        "/health/model/", "/clients/team/", f"/clients/{client.pk}/", "/flags/", "/portfolio/", "/api/docs/",
        "/reports/activity/", "/reports/activity/?week=2026-W01", f"/handoffs/{handoff.pk}/accept/",
    ]:  # fmt: skip
        problems[f"admin_ada {path}"] = visit(watched, path)

    found = {where: found for where, found in problems.items() if found}
    assert not found, "\n".join(f"{where}: {p}" for where, ps in found.items() for p in ps)


def login_admin(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("admin_ada")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url
