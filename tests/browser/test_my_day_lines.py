"""My day as one line per client, in a browser: log a contact from a line, handle and snooze flags in place, and
My day, the flag page, the quick log and the Flags list on a 390 px phone (element widths asserted)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.utils import timezone

from clients import services as client_services
from clients.models import Client
from flags.models import Flag, FlagStatus, Resolution, TriggerRule
from flags.services import flag_raise
from interactions import services as interaction_services
from interactions.models import Interaction
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _no_horizontal_overflow(page) -> None:
    sizes = page.evaluate(
        "(() => { const m = document.querySelector('#main'); return [m.scrollWidth, m.clientWidth,"
        " document.documentElement.scrollWidth, window.innerWidth]; })()"
    )
    assert sizes[0] <= sizes[1], f"main column overflows: {sizes}"
    assert sizes[2] <= sizes[3], f"page overflows: {sizes}"


def _inside(locator, width: int = PHONE["width"]) -> dict:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    return box


def _overdue_contact(client, days_ago: int = 66, cadence: int = 30) -> None:
    Client.objects.filter(pk=client.pk).update(
        contact_cadence_days=cadence, contact_due_on=timezone.localdate() - dt.timedelta(days=days_ago - cadence)
    )


def _mark(page) -> None:
    page.evaluate("window.__noReload = 'still here'")


def _not_reloaded(page) -> None:
    assert page.evaluate("window.__noReload") == "still here"


def test_log_contact_from_a_call_today_line_removes_the_line_in_place(page, am_alice, alice_client):
    _overdue_contact(alice_client)
    login(page, "am_alice")
    page.goto("/my-day/")
    line = page.locator(f"#line-{alice_client.pk}")
    assert "Contact overdue since" in line.inner_text()
    _mark(page)
    line.get_by_role("button", name="Log contact").click()
    page.locator("#log-panel").get_by_label("Summary").fill("Checked in on the rollout.")
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Call logged.").wait_for()
    line.wait_for(state="detached")  # within its cadence again: off the list, no reload
    _not_reloaded(page)
    assert Interaction.objects.get().summary == "Checked in on the rollout."
    assert page.csp_violations == []


def test_log_call_on_a_contact_flag_closes_it_as_handled_in_place(page, am_alice, alice_client):
    rule = TriggerRule.objects.create(
        name="Contact overdue", kind="no_contact", params={"mode": "cadence", "grace_days": 0}, severity=3
    )
    interaction_services.interaction_log(
        client=alice_client, by=am_alice, kind="call", occurred_at=timezone.now() - dt.timedelta(days=66),
        summary="Kick-off",
    )  # fmt: skip
    _overdue_contact(alice_client)
    today = timezone.localdate()
    flag = Flag.objects.create(
        client=alice_client, rule=rule, title="Contact overdue", severity=3, assigned_to=am_alice,
        evidence="Last contact 66 days ago (agreed cadence: every 30 days)", opened_on=today, last_seen_on=today,
        pushed_on=today,
    )  # fmt: skip
    login(page, "am_alice")
    page.goto("/my-day/")
    _mark(page)
    page.locator(f"#flag-{flag.pk}").get_by_role("button", name="Log call").click()
    page.locator("#action-panel").get_by_label("Summary").fill("Called Dora; all fine, next call in a month.")
    page.get_by_role("button", name="Log call and resolve").click()
    page.get_by_text("the flag on Nordwind Logistics is resolved").wait_for()
    page.locator(f"#line-{alice_client.pk}").wait_for(state="detached")
    _not_reloaded(page)
    flag.refresh_from_db()
    assert (flag.status, flag.resolution) == (FlagStatus.RESOLVED, Resolution.HANDLED)
    assert flag.interaction.summary.startswith("Called Dora")
    assert page.csp_violations == []


def test_snooze_on_my_day_takes_the_flag_off_in_place_and_says_so(page, am_alice, alice_client):
    flag = flag_raise(client=alice_client, by=am_alice, title="Orders fell", evidence="Orders down 40% in a week.")
    other = client_services.client_create(by=am_alice, name="Keeps Its Line")
    kept = flag_raise(client=other, by=am_alice, title="Tickets up", evidence="Twice the usual tickets.")
    login(page, "am_alice")
    page.goto("/my-day/")
    _mark(page)
    page.locator(f"#flag-{flag.pk}").get_by_role("button", name="Snooze 7 d").click()
    page.locator("#action-panel").get_by_text("Snoozed Orders fell on Nordwind Logistics until").wait_for()
    page.locator(f"#line-{alice_client.pk}").wait_for(state="detached")
    page.locator(f"#flag-{kept.pk}").wait_for()  # the other client's line stays
    _not_reloaded(page)
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.SNOOZED
    assert page.csp_violations == []


@pytest.fixture
def busy_day(am_alice, alice_client):
    """A client with a long name, several reasons and a phone; a second one with a long flag evidence."""
    today = timezone.localdate()
    Client.objects.filter(pk=alice_client.pk).update(
        name="Nordwind Logistics Internationale Speditionsgesellschaft mbH & Co. KG",
        arr=Decimal(480_000),
        renewal_date=today + dt.timedelta(days=21),
    )
    alice_client.refresh_from_db()
    client_services.contact_create(
        client=alice_client, by=am_alice, first_name="Konstantin", last_name="Oberhausener-Wiesenthal",
        phone="+49 30 123 45 67", role="decision_maker",
    )  # fmt: skip
    _overdue_contact(alice_client, days_ago=50)
    interaction_services.followup_create(
        client=alice_client, by=am_alice, title="Send the migration plan with every rollout date agreed in March",
        due_date=today,
    )  # fmt: skip
    flags = [
        flag_raise(client=alice_client, by=am_alice, title="Orders fell sharply in every warehouse",
                   evidence="Orders fell 40% against the previous four weeks, the steepest drop this year. " * 3),
        flag_raise(client=alice_client, by=am_alice, title="Key stakeholder left",
                   evidence="Konstantin-Maximilian Oberhausener-Wiesenthal (champion) left 3 days ago."),
    ]  # fmt: skip
    return flags


def test_my_day_flag_page_quick_log_and_flags_list_at_390_px(page, am_alice, alice_client, busy_day):
    page.set_viewport_size(PHONE)
    login(page, "am_alice")
    page.goto("/my-day/")
    line = page.locator(f"#line-{alice_client.pk}")
    box = _inside(line)
    assert box["width"] <= PHONE["width"]
    for flag in busy_day:
        row = page.locator(f"#flag-{flag.pk}")
        assert _inside(row)["height"] <= 170, "a flag row on a phone stays compact"
        _inside(row.get_by_role("button", name="Log call"))
        _inside(row.get_by_role("button", name="Snooze 7 d"))
    call = line.locator("a[href^='tel:']")
    assert call.get_attribute("href") == "tel:+493012345 67".replace(" ", "")
    _inside(call)
    _inside(page.get_by_role("button", name="Done"))
    _no_horizontal_overflow(page)
    _shot(page, "my-day-390")

    # The quick log, opened in place from the line's flag, then the flag page and the log page of their own.
    page.locator(f"#flag-{busy_day[0].pk}").get_by_role("button", name="Log call").click()
    panel = page.locator("#action-panel .card")
    panel.wait_for()
    _inside(panel)
    _inside(panel.locator("a[href^='tel:']"))
    _inside(panel.get_by_role("button", name="Log call and resolve"))
    _no_horizontal_overflow(page)

    page.goto(f"/flags/{busy_day[0].pk}/")
    _inside(page.locator("h1"))
    _inside(page.get_by_role("button", name="Log call and resolve"))
    _inside(page.locator("main a[href^='tel:']"))
    _no_horizontal_overflow(page)
    _shot(page, "flag-page-390")

    page.goto(f"/clients/{alice_client.pk}/interactions/new/")
    _inside(page.get_by_role("button", name="Log it"))
    _inside(page.locator("#log-form-card"))
    _inside(page.locator("#log-form-card a[href^='tel:']"))
    _no_horizontal_overflow(page)
    _shot(page, "quick-log-390")

    page.goto("/flags/")
    for flag in busy_day:
        row = page.locator(f"#flag-row-{flag.pk}")
        _inside(row)
        _inside(row.get_by_role("link", name="Log call"))
    _no_horizontal_overflow(page)
    _shot(page, "flags-390")
    assert page.csp_violations == []


def test_the_why_tooltip_explains_the_priority(page, am_alice, alice_client, busy_day):
    page.set_viewport_size(DESKTOP)
    login(page, "am_alice")
    page.goto("/my-day/")
    why = page.locator(f"#line-{alice_client.pk} .priority-why")
    why.hover()
    tip = page.locator(".tooltip.show")
    tip.wait_for()
    page.wait_for_function("() => getComputedStyle(document.querySelector('.tooltip')).opacity === '1'")
    fits = page.evaluate(
        "(() => { const t = document.querySelector('.tooltip-inner'); return [t.scrollWidth, t.clientWidth]; })()"
    )
    assert fits[0] <= fits[1], fits  # the factors wrap inside the tooltip
    text = tip.inner_text()
    assert "Severity" in text and "Money at stake 480,000 EUR" in text and "Renewal in 21 days" in text
    assert "5 reasons" in text or "4 reasons" in text
    _shot(page, "my-day-1366")
    page.goto("/flags/")
    _shot(page, "flags-1366")
    assert page.csp_violations == []


def test_a_call_logged_on_the_client_page_takes_the_contact_flag_off_in_place(page, am_alice, alice_client):
    rule = TriggerRule.objects.create(
        name="Contact overdue", kind="no_contact", params={"mode": "cadence", "grace_days": 0}, severity=3
    )
    _overdue_contact(alice_client)
    today = timezone.localdate()
    flag = Flag.objects.create(
        client=alice_client, rule=rule, title="Contact overdue", severity=3, assigned_to=am_alice,
        evidence="Last contact 66 days ago (agreed cadence: every 30 days)", opened_on=today, last_seen_on=today,
        pushed_on=today,
    )  # fmt: skip
    login(page, "am_alice")
    page.goto(f"/clients/{alice_client.pk}/")
    panel = page.locator("#client-flags")
    assert "Last contact 66 days ago" in panel.inner_text()
    _mark(page)
    page.get_by_role("button", name="Log interaction").click()
    page.locator("#log-panel").get_by_label("Summary").fill("Called; all good.")
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Call logged.").wait_for()
    page.wait_for_function("() => !document.querySelector('#client-flags').innerText.includes('66 days ago')")
    _not_reloaded(page)
    flag.refresh_from_db()
    assert flag.resolution == Resolution.HANDLED
    assert page.csp_violations == []


def test_the_lead_sees_the_weekly_cap_and_what_it_held_back(page, settings, am_alice, lead_lena, alice_client):
    from flags.models import PushState
    from flags.services import flags_weekly_cap_apply

    settings.FLAGS_WEEKLY_CAP = 1
    rule = TriggerRule.objects.create(name="Health low", kind="health_below", params={"threshold": 40}, severity=3)
    today = timezone.localdate()
    for name in ("Held Back Bakery", "Pushed Pharma"):
        other = client_services.client_create(by=am_alice, name=name)
        Flag.objects.create(
            client=other, rule=rule, title="Health low", severity=3, assigned_to=am_alice, evidence="Health 31",
            opened_on=today, last_seen_on=today, push_state=PushState.PENDING,
        )  # fmt: skip
    Client.objects.filter(name="Pushed Pharma").update(arr=Decimal(90_000))
    flags_weekly_cap_apply(on_date=today)
    for size, name in ((DESKTOP, "cap-1366"), (PHONE, "cap-390")):
        page.set_viewport_size(size)
        login(page, "lead_lena")
        page.goto("/flags/?scope=team")
        cap = page.locator("#weekly-cap")
        assert "Weekly cap: at most 1 new flag pushed" in cap.inner_text()
        assert "1 of 1" in cap.inner_text()
        _inside(cap, size["width"])
        _no_horizontal_overflow(page)
        _shot(page, name)
        page.context.clear_cookies()
    login(page, "lead_lena")
    page.goto("/flags/?scope=team")
    page.locator("#weekly-cap").get_by_role("link", name="1 flag held back").click()
    page.get_by_text("Held Back Bakery").wait_for()
    assert page.get_by_text("Pushed Pharma").count() == 0
    assert page.csp_violations == []
