"""The client list's tools in a browser: columns chosen, a saved and pinned view, keyboard navigation, bulk
selection, the 390 px layout, and the top bar on one line at 1366 px."""

import pytest

from clients.models import SavedClientView
from tests.browser.conftest import login
from tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_choose_a_column_then_save_and_pin_the_view(page, am_alice, alice_client):
    ClientFactory(name="Zebra Freight", owner=am_alice, team=am_alice.team, is_key_account=True)
    login(page, "am_alice")
    page.goto("/clients/")
    assert page.get_by_role("columnheader", name="Next follow-up").count() == 0

    page.get_by_role("button", name="Columns").click()
    page.get_by_label("Next follow-up").check()  # the filter form submits on change
    page.wait_for_url("**cols=next_follow_up**")
    page.get_by_role("columnheader", name="Next follow-up").wait_for()

    page.get_by_label("Key account").select_option(label="Yes")
    page.wait_for_url("**is_key_account=true**")
    assert page.get_by_role("link", name="Nordwind Logistics").count() == 0

    page.get_by_role("button", name="Views").click()
    page.get_by_label("Save this list as").fill("Key accounts")
    page.get_by_role("button", name="Save view").click()
    page.get_by_text("View “Key accounts” saved.").wait_for()
    view = SavedClientView.objects.get(user=am_alice)
    assert "is_key_account=true" in view.query and "cols=next_follow_up" in view.query and view.pinned

    # The pinned view is beside the list: from an unfiltered list, one click brings its filters and columns back.
    page.goto("/clients/?cols=status")
    page.locator("#saved-views").get_by_role("link", name="Key accounts").click()
    page.get_by_role("columnheader", name="Next follow-up").wait_for()
    assert page.get_by_role("link", name="Zebra Freight").count() == 1
    assert page.get_by_role("link", name="Nordwind Logistics").count() == 0
    assert page.csp_violations == []


def test_keyboard_moves_through_the_rows_and_enter_opens_one(page, am_alice, alice_client):
    ClientFactory(name="Zebra Freight", owner=am_alice, team=am_alice.team)
    login(page, "am_alice")
    page.goto("/clients/")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Zebra Freight"
    page.keyboard.press("x")
    assert page.get_by_text("1 selected").count() == 1
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/clients/{alice_client.pk}/")
    assert page.csp_violations == []


def test_client_list_at_390_px_has_no_horizontal_overflow(page, am_alice, alice_client):
    for n in range(5):
        ClientFactory(name=f"Very Long Client Name Incorporated Worldwide {n}", owner=am_alice, team=am_alice.team)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "am_alice")
    page.goto("/clients/?cols=health&cols=status&cols=arr&cols=renewal&cols=last_contact&cols=next_follow_up")
    page.get_by_role("link", name="Nordwind Logistics").wait_for()
    sizes = page.evaluate(
        "(() => { const m = document.querySelector('#main'); return [m.scrollWidth, m.clientWidth,"
        " document.documentElement.scrollWidth, window.innerWidth]; })()"
    )
    assert sizes[0] <= sizes[1], f"main column overflows: {sizes}"
    assert sizes[2] <= sizes[3], f"page overflows: {sizes}"
    table = page.locator("table.table-clients").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= 390, table
    assert page.csp_violations == []


def test_an_ams_top_menu_stays_on_one_line_at_1366_px(page, am_alice):
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, "am_alice")
    tops = page.evaluate(
        "Array.from(document.querySelectorAll('.navbar-nav > .nav-item'))"
        ".map(i => Math.round(i.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, f"the menu wraps: item tops {tops}"
    box = page.get_by_role("searchbox", name="Search clients and contacts").bounding_box()
    assert box["width"] >= 200
    # Renewals moved into the Contracts menu.
    page.get_by_role("button", name="Contracts").or_(page.get_by_role("link", name="Contracts")).first.click()
    page.get_by_role("link", name="Renewals board").click()
    page.wait_for_url("**/renewals/board/**")
