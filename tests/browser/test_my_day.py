"""My day in a browser: logging a contact, handling a flag, and the page on a phone."""

import datetime as dt

import pytest
from django.utils import timezone

from clients.models import Client
from flags.models import Flag, FlagStatus
from flags.services import flag_raise
from interactions.models import Interaction
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _cadence_row(page, client):
    """The client's row in the Contact cadence section (it also has a line in Call today)."""
    return page.locator(f"#cadence-{client.pk}")


def _overdue(client, days: int = 2) -> None:
    Client.objects.filter(pk=client.pk).update(contact_due_on=timezone.localdate() - dt.timedelta(days=days))


def test_log_contact_from_the_cadence_section_saves_and_updates_in_place(page, am_alice, alice_client):
    _overdue(alice_client)
    login(page, "am_alice")
    page.goto("/my-day/")
    row = _cadence_row(page, alice_client)
    row.get_by_role("button", name="Log contact").click()
    page.get_by_label("Summary").fill("Quick catch-up on the rollout.")
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Call logged.").wait_for()
    assert Interaction.objects.get().summary == "Quick catch-up on the rollout."
    # The client is within its cadence again: it leaves the section without a reload.
    row.wait_for(state="detached")
    assert page.csp_violations == []


def test_log_call_and_resolve_updates_the_flag_and_the_cadence_in_place(page, am_alice, alice_client):
    _overdue(alice_client)
    flag = flag_raise(client=alice_client, by=am_alice, title="Orders fell", evidence="Orders down 40% in a week.")
    login(page, "am_alice")
    page.goto("/my-day/")
    page.locator(f"#flag-{flag.pk}").get_by_role("button", name="Log call").click()
    page.locator("#action-panel").get_by_label("Summary").fill("Called Dora; a warehouse move, orders back next week.")
    page.get_by_role("button", name="Log call and resolve").click()
    page.get_by_text("the flag on Nordwind Logistics is resolved").wait_for()
    page.locator(f"#flag-{flag.pk} button").first.wait_for(state="detached")
    _cadence_row(page, alice_client).wait_for(state="detached")
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.RESOLVED
    assert page.csp_violations == []
