"""The top search box in a browser: accents, phone numbers, partial ids, the keyboard, its width."""

import pytest

from clients import services as client_services
from tests.browser.conftest import login
from tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_search_muller_phone_and_partial_id_then_arrow_keys(page, am_alice, alice_client):
    mueller = ClientFactory(name="Müller Logistik", external_id="SF-0099881", owner=am_alice, team=am_alice.team)
    client_services.contact_create(
        client=alice_client, by=am_alice, first_name="Ida", last_name="Anruf", phone="+49 30 123 45 67"
    )
    login(page, "am_alice")
    box = page.get_by_role("searchbox", name="Search clients and contacts")
    results = page.locator("#search-results")

    box.fill("muller")
    results.get_by_role("option", name="Müller Logistik").wait_for()
    box.fill("99881")
    results.get_by_role("option", name="Müller Logistik").wait_for()
    box.fill("030 1234567")
    results.get_by_text("Ida Anruf").wait_for()

    box.fill("muller")
    first = results.get_by_role("option", name="Müller Logistik")
    first.wait_for()
    box.press("ArrowDown")
    assert first.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/clients/{mueller.pk}/")
    assert page.csp_violations == []


@pytest.mark.parametrize("persona", ["lead_lena", "admin_ada"])
def test_the_search_box_keeps_its_width_at_1366_px(page, persona, request):
    request.getfixturevalue(persona)
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, persona)
    box = page.get_by_role("searchbox", name="Search clients and contacts")
    assert box.is_visible()
    assert box.bounding_box()["width"] >= 200
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
