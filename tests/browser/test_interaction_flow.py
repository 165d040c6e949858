"""An AM logs a call with two contacts from the client page and makes a commitment from it."""

import datetime as dt

import pytest

from core.formats import format_day
from interactions.models import FollowUp, Interaction
from tests.browser.conftest import login
from tests.factories import ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_log_a_call_then_a_commitment_and_see_both_on_the_timeline(page, am_alice, alice_client):
    ContactFactory(client=alice_client, first_name="Eli", last_name="Berg")
    login(page, "am_alice")
    page.get_by_role("link", name="Nordwind Logistics").click()
    page.get_by_role("heading", name="Nordwind Logistics").wait_for()

    # The quick form opens in place (htmx), without leaving the page.
    url_before = page.url
    page.get_by_role("button", name="Log interaction").click()
    page.get_by_label("Summary").fill("Walked through the Q1 rollout; they want a migration plan.")
    page.get_by_role("checkbox", name="Dora Example").check()
    page.get_by_role("checkbox", name="Eli Berg").check()
    page.get_by_label("Sentiment").select_option("positive")
    page.get_by_label("Next step").fill("Send the migration plan")
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Call logged.").wait_for()
    assert page.url == url_before
    timeline = page.locator("#timeline")
    call_title = "Call with Eli Berg, Dora Example"  # contacts in stakeholder-map order (by last name)
    timeline.get_by_text(call_title).wait_for()

    # From the call, a commitment promised to the client (later than our internal date).
    timeline.get_by_role("link", name=call_title).click()
    page.get_by_role("link", name="Create follow-up from it").click()
    due = dt.date.today() + dt.timedelta(days=3)
    promised = dt.date.today() + dt.timedelta(days=7)
    assert page.get_by_label("Title").input_value() == "Send the migration plan"
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_label("Promised to the client").check()
    page.get_by_label("Promised date").fill(promised.isoformat())
    page.get_by_role("button", name="Create").click()

    page.get_by_role("heading", name="Nordwind Logistics").wait_for()
    timeline = page.locator("#timeline")
    timeline.get_by_text("Commitment: Send the migration plan").wait_for()
    assert timeline.get_by_text(call_title).is_visible()
    assert timeline.get_by_text(f"promised to the client for {format_day(promised)}").is_visible()

    call = Interaction.objects.get()
    assert sorted(str(c) for c in call.contacts.all()) == ["Dora Example", "Eli Berg"]
    commitment = FollowUp.objects.get()
    assert (commitment.interaction, commitment.is_commitment, commitment.due_date, commitment.promised_date) == (
        call,
        True,
        due,
        promised,
    )
    assert page.csp_violations == []
