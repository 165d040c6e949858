"""My day and the client page on a 390 px phone: nothing cut off, phones tap-to-call, compact flags."""

import datetime as dt

import pytest
from django.utils import timezone

from clients import services as client_services
from clients.models import Client
from flags.services import flag_raise
from interactions import services as interaction_services
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def _no_horizontal_overflow(page):
    main = page.evaluate(
        "(() => { const m = document.querySelector('#main'); return [m.scrollWidth, m.clientWidth,"
        " document.documentElement.scrollWidth, window.innerWidth]; })()"
    )
    assert main[0] <= main[1], f"main column overflows: {main}"
    assert main[2] <= main[3], f"page overflows: {main}"


def _inside_viewport(locator):
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_my_day_at_390_px(page, am_alice, alice_client):
    today = timezone.localdate()
    Client.objects.filter(pk=alice_client.pk).update(contact_due_on=today - dt.timedelta(days=2))
    interaction_services.followup_create(
        client=alice_client, by=am_alice, title="Send the migration plan with the rollout dates", due_date=today
    )
    flag_raise(
        client=alice_client,
        by=am_alice,
        title="Orders fell",
        evidence="Orders fell 40% against the previous four weeks, the steepest drop this year. " * 3,
    )
    page.set_viewport_size(PHONE)
    login(page, "am_alice")
    page.goto("/my-day/")
    done = page.get_by_role("button", name="Done")
    done.wait_for()
    _inside_viewport(done)
    flag = page.locator("[id^=flag-]").first
    assert flag.bounding_box()["height"] <= 200
    _no_horizontal_overflow(page)
    assert page.csp_violations == []


def test_client_page_at_390_px(page, am_alice, alice_client):
    client_services.contact_create(
        client=alice_client,
        by=am_alice,
        first_name="Konstantin",
        last_name="Oberhausener-Wiesenthal",
        email="konstantin.oberhausener-wiesenthal@nordwind-logistics.example",
        phone="+49 30 123 45 67",
    )
    page.set_viewport_size(PHONE)
    login(page, "am_alice")
    page.goto(f"/clients/{alice_client.pk}/")
    call = page.get_by_role("link", name="+49 30 123 45 67")
    assert call.get_attribute("href") == "tel:+493012345 67".replace(" ", "")
    _inside_viewport(call)
    _inside_viewport(page.get_by_role("link", name="konstantin.oberhausener-wiesenthal@nordwind-logistics.example"))
    _no_horizontal_overflow(page)
    assert page.csp_violations == []
