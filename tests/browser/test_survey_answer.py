"""The survey answer page as a client's contact meets it from the e-mail, on a phone and on a laptop: one click on
a score opens it with the score chosen, a reason, send, thanks; no horizontal overflow, no console error, no CSP
violation; a second visit says it was answered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.models import ClientStatus
from surveys import services
from surveys.models import SurveyAnswer
from tests.factories import ClientFactory, ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invited(am_alice):
    client = ClientFactory(
        name="Nordwind Logistik GmbH", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE
    )
    dora = ContactFactory(
        client=client, first_name="Dora", last_name="Lindqvist-Hämäläinen", email="dora@nordwind.example"
    )
    sent = services.survey_send(client=client, kind="nps", contacts=[dora], by=am_alice)
    return dora, reverse("surveys:answer", args=[sent.tokens[dora.pk]])


@pytest.mark.parametrize("width", [390, 1366])
def test_a_contact_answers_in_two_clicks(browser, live_server, invited, width, tmp_path):
    dora, path = invited
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in {"error", "warning"} else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}{path}?score=6")  # the "6" link of the e-mail
    page.get_by_role("heading", name="How likely are you to recommend").wait_for()
    assert page.get_by_label("6", exact=True).is_checked()
    # Every score button is big enough to tap and on screen.
    boxes = [page.get_by_text(str(n), exact=True).bounding_box() for n in range(11)]
    assert all(box["width"] >= 40 and box["height"] >= 40 and box["x"] + box["width"] <= width for box in boxes)
    page.screenshot(path=str(tmp_path / f"answer-{width}.png"), full_page=True)
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"horizontal overflow at {width} px: {widths}"
    page.get_by_label("The main reason for your score").fill("Deliveries were late twice this month.")
    page.get_by_role("button", name="Send my answer").click()
    page.get_by_role("heading", name="Thank you for your answer").wait_for()
    answer = SurveyAnswer.objects.get()
    assert (answer.contact_id, answer.score, answer.comment) == (dora.pk, 6, "Deliveries were late twice this month.")
    page.goto(f"{live_server.url}{path}")
    assert "You answered 6" in page.content()
    assert problems == []
    context.close()
