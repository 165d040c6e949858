"""A lead defines a playbook with the keyboard (add, reorder, remove steps), an AM starts it from the client page
after seeing its steps, works the first step and sees the progress; at 1366 px and on a 390 px phone."""

import pytest

from playbooks.models import Playbook, PlaybookRun, StepStatus
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _no_horizontal_overflow(page):
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"page overflows: {sizes}"


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}], ids=["1366", "390"]
)
def test_define_then_run_a_playbook(page, viewport, lead_lena, am_alice, alice_client):
    page.set_viewport_size(viewport)
    login(page, "lead_lena")
    page.goto("/playbooks/")
    page.get_by_text("No playbook yet").wait_for()
    page.get_by_role("link", name="New playbook").click()
    page.get_by_label("Name").fill("Onboarding North")

    steps = page.locator("[data-step]")
    steps.nth(0).get_by_label("Title").fill("Send the plan")
    # A second and a third step, added with the keyboard; focus lands in the new step's title.
    add = page.get_by_role("button", name="Add a step")
    add.focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Kick-off call")
    steps.nth(1).get_by_label("Kind").select_option("call")
    add.focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Temporary step")
    # Move the call up to first place with the keyboard, then remove the temporary step.
    steps.nth(1).get_by_role("button", name="Move up").focus()
    page.keyboard.press("Enter")
    assert steps.nth(0).get_by_label("Title").input_value() == "Kick-off call"
    steps.nth(2).get_by_role("button", name="Remove step").click()
    _no_horizontal_overflow(page)
    page.get_by_role("button", name="Save playbook").click()

    page.get_by_role("heading", name="Onboarding North").wait_for()
    playbook = Playbook.objects.get()
    assert [s.title for s in playbook.versions.get().steps.order_by("position")] == ["Kick-off call", "Send the plan"]
    assert playbook.team_id == lead_lena.team_id
    _no_horizontal_overflow(page)
    page.context.clear_cookies()

    login(page, "am_alice")
    page.goto(f"/clients/{alice_client.pk}/")
    page.locator("#playbooks-panel").get_by_role("link", name="Start a playbook").click()
    page.get_by_label("Playbook").select_option(label="Onboarding North")
    page.get_by_role("button", name="Show its steps").click()
    page.get_by_text("These steps will be planned, starting today:").wait_for()
    assert not PlaybookRun.objects.exists()
    _no_horizontal_overflow(page)
    page.get_by_role("button", name="Confirm and start").click()

    page.get_by_text("0 of 2 steps closed").first.wait_for()
    _no_horizontal_overflow(page)
    page.get_by_role("button", name="Mark done").click()
    page.get_by_text("1 of 2 steps closed").first.wait_for()
    run = PlaybookRun.objects.get()
    assert [s.status for s in run.steps.order_by("position")] == [StepStatus.DONE, StepStatus.ACTIVE]
    page.get_by_role("link", name="Skip…").click()
    page.get_by_role("button", name="Skip the step").click()
    assert page.get_by_label("Why").evaluate("el => el.classList.contains('is-invalid')")  # the reason is required
    page.get_by_label("Why").fill("Sent it in the kick-off call")
    page.get_by_role("button", name="Skip the step").click()
    page.get_by_test_id("run-status").get_by_text("Completed").wait_for()

    page.goto(f"/clients/{alice_client.pk}/")
    page.locator("#playbooks-panel").get_by_text("2 of 2 steps closed").wait_for()
    _no_horizontal_overflow(page)
    assert page.csp_violations == []
