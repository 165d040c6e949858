"""My day, the client page and a flag in each language, at 1366 px and on a 390 px phone: the page speaks the
user's language (the navigation, the flag's evidence written from its stored phrase), nothing overflows (Russian
words are long), and the browser reports no error."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone, translation

from flags import evaluation
from flags.models import Flag, TriggerRule
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ["en", "ru", "zh-hans"]
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


def _overflow(page) -> list[int]:
    return page.evaluate(
        "(() => { const m = document.querySelector('#main');"
        " return [m.scrollWidth, m.clientWidth, document.documentElement.scrollWidth, window.innerWidth]; })()"
    )


@pytest.fixture
def flagged(am_alice, alice_client):
    TriggerRule.objects.create(name="No contact", kind="no_contact", params={"mode": "days", "days": 30})
    evaluation.evaluate_day_inline(on_date=timezone.localdate())
    return Flag.objects.get(client=alice_client)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_daily_pages_in_each_language(browser, live_server, am_alice, alice_client, flagged, language, size):
    am_alice.language = language
    am_alice.save(update_fields=["language"])
    context = browser.new_context(base_url=live_server.url, viewport=SIZES[size], locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        login(page, "am_alice")
        with translation.override(language):
            my_day = translation.gettext("My day")
            evidence = flagged.evidence_text
        for path in ["/my-day/", f"/clients/{alice_client.pk}/", f"/flags/{flagged.pk}/"]:
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == language, path
            assert my_day in page.locator("nav").first.text_content(), path
            scroll_width, client_width, document_width, window_width = _overflow(page)
            assert scroll_width <= client_width and document_width <= window_width, (path, _overflow(page))
            if SHOTS:
                name = path.strip("/").replace("/", "-") or "home"
                page.screenshot(path=os.path.join(SHOTS, f"lang-{language}-{size}-{name}.png"), full_page=True)
        assert evidence in page.locator("main").inner_text()
        assert errors == []
    finally:
        context.close()


def test_the_catalogues_translate_the_navigation():
    """Guards the languages above against passing on English text: the words they look for differ by language."""
    words = {}
    for language in LANGUAGES:
        with translation.override(language):
            words[language] = (translation.gettext("My day"), translation.gettext("Log out"))
    assert len(set(words.values())) == len(LANGUAGES), words


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_top_bar_is_one_line_at_1366_px_for_every_role(browser, live_server, personas, language):
    for user in personas.values():
        user.language = language
        user.save(update_fields=["language"])
        context = browser.new_context(base_url=live_server.url, viewport=SIZES["desktop"], locale="en-US")
        page = context.new_page()
        try:
            login(page, user.username)
            height = page.evaluate("document.querySelector('nav').getBoundingClientRect().height")
            assert height < 70, (user.username, language, height)
        finally:
            context.close()
