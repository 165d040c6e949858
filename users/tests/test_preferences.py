"""A user's language and time zone: chosen in preferences (page and API), defaulting to the browser's
language and the company's time zone, and applied to every request they make."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from users import services

pytestmark = pytest.mark.django_db


def test_a_users_own_language_and_zone_apply_from_their_next_page(client, am_alice, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    client.force_login(am_alice)
    page = client.get(reverse("preferences"))
    assert "Times are shown in Europe/Berlin." in page.content.decode()
    services.preferences_update(user=am_alice, language="zh-hans", time_zone="Asia/Shanghai")
    first = client.get(reverse("preferences"))  # the page that loads the user brings the cookies in line
    assert first.cookies["crm_time_zone"].value == "Asia/Shanghai"
    assert first.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = client.get(reverse("preferences"))
    assert page["Content-Language"] == "zh-hans"
    assert "Asia/Shanghai" in page.content.decode()
    # The zone does not leak into the next request a worker thread serves.
    assert timezone.get_current_timezone_name() == "Europe/Berlin"


def test_blank_preferences_keep_the_browsers_language_and_the_company_zone(client, am_alice, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    services.preferences_update(user=am_alice, language="", time_zone="Asia/Shanghai")
    client.force_login(am_alice)
    client.get(reverse("preferences"))
    services.preferences_update(user=am_alice, language="", time_zone="")
    cleared = client.get(reverse("preferences"), HTTP_ACCEPT_LANGUAGE="ru")
    assert cleared.cookies["crm_time_zone"].value == ""  # deleted: back to the company's zone
    page = client.get(reverse("preferences"), HTTP_ACCEPT_LANGUAGE="ru")
    assert page["Content-Language"] == "ru" and "Europe/Berlin" in page.content.decode()


def test_requests_that_never_load_the_user_cost_no_extra_query(client, am_alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as anonymous:
        assert client.get("/healthz").status_code == 200
    client.force_login(am_alice)
    with CaptureQueriesContext(connection) as signed_in:
        assert client.get("/healthz").status_code == 200
    assert len(signed_in.captured_queries) == len(anonymous.captured_queries)  # no session or user lookup


def test_browser_language_is_the_default_and_the_users_choice_wins(client, am_alice):
    client.force_login(am_alice)
    page = client.get(reverse("preferences"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5")
    assert page["Content-Language"] == "ru"
    assert '<html lang="ru">' in page.content.decode()

    services.preferences_update(user=am_alice, language="zh-hans", time_zone="")
    client.get(reverse("preferences"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    page = client.get(reverse("preferences"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    assert page["Content-Language"] == "zh-hans"


def test_preferences_page_saves_and_refuses_an_unknown_zone_on_the_field(client, am_alice):
    client.force_login(am_alice)
    response = client.post(reverse("preferences"), {"language": "ru", "time_zone": "Europe/Moscow"})
    assert response.status_code == 302
    am_alice.refresh_from_db()
    assert (am_alice.language, am_alice.time_zone) == ("ru", "Europe/Moscow")

    response = client.post(reverse("preferences"), {"language": "ru", "time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    am_alice.refresh_from_db()
    assert am_alice.time_zone == "Europe/Moscow"  # nothing half-written


def test_the_service_names_the_bad_field(am_alice):
    with pytest.raises(ValidationError) as error:
        services.preferences_update(user=am_alice, language="klingon", time_zone="Nowhere/City")
    assert set(error.value.message_dict) == {"language", "time_zone"}
    am_alice.refresh_from_db()
    assert (am_alice.language, am_alice.time_zone) == ("", "")


def test_api_reads_and_changes_preferences_with_field_errors(client, am_alice):
    client.force_login(am_alice)
    url = reverse("my-preferences")
    assert client.get(url).json() == {"language": "", "time_zone": ""}

    response = client.patch(url, {"time_zone": "Asia/Shanghai"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"language": "", "time_zone": "Asia/Shanghai"}

    response = client.patch(url, {"time_zone": "Asia/Atlantis"}, content_type="application/json")
    assert response.status_code == 400
    assert "time_zone" in response.json()["error"]["fields"]
    response = client.patch(url, {"language": "fr"}, content_type="application/json")
    assert response.status_code == 400
    assert "language" in response.json()["error"]["fields"]
    am_alice.refresh_from_db()
    assert (am_alice.language, am_alice.time_zone) == ("", "Asia/Shanghai")


def test_api_needs_a_signed_in_user(client):
    assert client.get(reverse("my-preferences")).status_code in (401, 403)


def test_a_visitor_can_switch_language_on_the_login_page(client):
    page = client.get(reverse("login"))
    assert 'action="/i18n/setlang/"' in page.content.decode()
    response = client.post(reverse("set_language"), {"language": "ru", "next": reverse("login")})
    assert response.status_code == 302
    page = client.get(reverse("login"))
    assert page["Content-Language"] == "ru"
    assert '<html lang="ru">' in page.content.decode()
