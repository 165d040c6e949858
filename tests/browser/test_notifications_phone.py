"""Notification settings, the notifications list and the webhook delivery log on a 390 px phone."""

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import OutboxMessage
from tests.browser.conftest import login
from tests.browser.test_phone_layout import PHONE, _no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_settings_and_notifications_at_390_px(page, am_alice, tmp_path):
    services.notify(
        kind="client_assigned", user_ids=[am_alice.pk], url="/clients/1/",
        params={"by": "Lena", "client": "Wren Retail with a long trading name GmbH & Co. KG",
                "figures": [["arr", "125,000 EUR"], ["renewal_date", "2027-03-01"], ["last_contact", "2026-11-02"]]},
    )  # fmt: skip
    page.set_viewport_size(PHONE)
    login(page, "am_alice")
    page.goto("/notifications/")
    page.get_by_text("Lena assigned Wren Retail").wait_for()
    page.screenshot(path=str(tmp_path / "notifications.png"), full_page=True)
    _no_horizontal_overflow(page)
    page.goto("/accounts/notifications/")
    # Each choice takes its own line on a phone, so "In app and e-mail" (longer in ru) is read whole.
    choice = page.get_by_label("A flag opens on my client").bounding_box()
    assert choice["width"] >= 0.8 * PHONE["width"], choice
    page.get_by_label("Someone mentions me").select_option("off")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Notification settings saved.").wait_for()
    _no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / "settings.png"), full_page=True)
    assert page.csp_violations == []


def test_the_delivery_log_at_390_px(page, admin_ada, settings, tmp_path):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    hook, _ = services.webhook_create(by=admin_ada, name="Ops", url="http://127.0.0.1:9/a/very/long/path/to/a/receiver",
                                      events=["flag.opened", "handoff.sent"])  # fmt: skip
    OutboxMessage.objects.create(
        key="webhook:x", channel="webhook", recipient=hook.url, subject="flag.opened", body="{}", webhook=hook,
        event="flag.opened", status="failed", attempts=3, response_status=503, next_attempt_at=timezone.now(),
        last_error="WebhookHTTPError: HTTP 503 Service Unavailable " * 3,
    )  # fmt: skip
    page.set_viewport_size(PHONE)
    login(page, "admin_ada")
    page.goto(f"/settings/webhooks/{hook.pk}/")
    page.get_by_role("button", name="Send again").wait_for()
    _no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / "deliveries.png"), full_page=True)
    assert page.csp_violations == []
