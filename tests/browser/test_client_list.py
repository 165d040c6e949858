"""Archived clients can be found from the list (the Archived filter) and restored from there."""

import pytest
from django.utils import timezone

from clients.models import Client
from tests.browser.conftest import login
from tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_find_an_archived_client_with_the_filter_and_restore_it(page, am_alice, alice_client):
    gone = ClientFactory(name="Sleeping Bear", owner=am_alice, team=am_alice.team, archived_at=timezone.now())
    login(page, "am_alice")
    page.goto("/clients/")
    assert page.get_by_role("link", name="Sleeping Bear").count() == 0
    page.get_by_label("Archived").select_option(label="Yes")
    row = page.get_by_role("row", name="Sleeping Bear")
    row.wait_for()
    assert page.get_by_role("link", name="Nordwind Logistics").count() == 0
    row.get_by_role("button", name="Restore").click()
    page.get_by_text("Sleeping Bear restored.").wait_for()
    assert Client.objects.get(pk=gone.pk).archived_at is None
    assert page.csp_violations == []
