"""Sales creates a prospect, records a stakeholder and hands the deal off; the AM accepts it."""

import datetime as dt

import pytest

from clients.models import Client, ClientStatus, Handoff, HandoffStatus
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_sales_hands_off_and_am_accepts(page, am_alice, sales_sam):
    login(page, "sales_sam")
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Name").fill("Brightwater Foods")
    page.get_by_label("External id").fill("001BRIGHT")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Brightwater Foods").wait_for()

    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("First name").fill("Dora")
    page.get_by_label("Last name").fill("Diaz")
    page.get_by_label("Role").select_option("decision_maker")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("cell", name="Dora Diaz", exact=True).wait_for()

    page.get_by_role("link", name="Hand off to AM").click()
    page.get_by_label("Deal name").fill("Brightwater rollout")
    page.get_by_label("Deal amount").fill("84000")
    page.get_by_label("Close date").fill((dt.date.today() - dt.timedelta(days=2)).isoformat())
    page.get_by_label("Hand off to account manager").select_option(str(am_alice.pk))
    page.get_by_label("Customer goals").fill("Halve stock-outs in the stores.")
    page.get_by_label("Dora Diaz").check()
    page.get_by_label("Commitments made during the sale").fill("2026-12-15 Data migration finished")
    page.get_by_role("button", name="Send handoff").click()

    # Readiness names exactly what is still missing.
    page.get_by_role("heading", name="Needs review").wait_for()
    assert page.get_by_text("Success criteria are missing.").is_visible()
    handoff = Handoff.objects.get(deal_name="Brightwater rollout")
    assert handoff.status == HandoffStatus.PENDING
    assert handoff.commitments == [{"text": "Data migration finished", "due_date": "2026-12-15"}]

    page.context.clear_cookies()
    login(page, "am_alice")
    page.get_by_role("button", name="Clients", exact=True).click()  # the top bar's Clients menu
    page.get_by_role("link", name="Handoffs").click()
    page.get_by_role("link", name="Brightwater Foods").click()
    page.get_by_role("link", name="Accept").click()  # accepting asks first (issue 13)
    page.get_by_role("button", name="Accept the handoff").click()
    page.get_by_role("heading", name="Brightwater Foods").wait_for()
    assert page.get_by_text("Onboarding", exact=True).is_visible()

    client = Client.objects.get(external_id="001BRIGHT")
    assert client.owner == am_alice
    assert client.status == ClientStatus.ONBOARDING
    assert page.csp_violations == []
