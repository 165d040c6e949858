"""Outgoing webhooks against a real HTTP receiver on 127.0.0.1: signed, retried with back-off, sent again by hand;
URLs refused when they name loopback, link-local or private addresses (at registration and again at send time)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from clients import services as client_services
from clients.models import ClientStatus
from core.errors import NotAllowedError
from notifications import services, webhooks
from notifications.models import OutboxMessage, OutboxStatus, Webhook
from tests.factories import ClientFactory
from tests.smtp import free_port
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver is on 127.0.0.1
    server = WebhookReceiver().start()
    yield server
    server.stop()


def _hook(admin, url, events=("handoff.sent",), **extra):
    return services.webhook_create(by=admin, name="Ops", url=url, events=list(events), **extra)


def _send_handoff(sales, am, name="Kestrel Foods"):
    prospect = ClientFactory(name=name, status=ClientStatus.PROSPECT, owner=None, sales_owner=sales)
    handoff, _ = client_services.handoff_create(
        by=sales, client=prospect, deal_name="Kestrel 2027", deal_amount=Decimal("84000"), to_am=am
    )
    return handoff


def _expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What a receiver computes (as in the README): HMAC-SHA256 over timestamp + "." + raw body."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def test_a_delivery_reaches_the_receiver_signed_with_the_event_id(
    receiver, admin_ada, sales_sam, am_alice, django_capture_on_commit_callbacks
):
    hook, secret = _hook(admin_ada, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        handoff = _send_handoff(sales_sam, am_alice)
    assert len(receiver.requests) == 1
    path, headers, body = receiver.requests[0]
    assert path == "/hooks/crm" and headers["Content-Type"] == "application/json"
    assert headers["X-CRM-Signature"] == _expected_signature(secret, headers["X-CRM-Timestamp"], body)
    assert webhooks.verify(secret=secret, timestamp=headers["X-CRM-Timestamp"], body=body,
                           signature=headers["X-CRM-Signature"])  # fmt: skip
    assert not webhooks.verify(secret="wrong", timestamp=headers["X-CRM-Timestamp"], body=body,
                               signature=headers["X-CRM-Signature"])  # fmt: skip
    event = json.loads(body)
    assert event["id"] == headers["X-CRM-Event-Id"] and event["event"] == headers["X-CRM-Event"] == "handoff.sent"
    assert event["data"]["handoff_id"] == handoff.pk and event["data"]["client"] == "Kestrel Foods"
    assert event["data"]["figures"]["deal_amount"] == "84,000 EUR"
    assert event["data"]["url"] == f"http://localhost:8000/handoffs/{handoff.pk}/"
    delivery = OutboxMessage.objects.get(webhook=hook)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 1, 200)


def test_a_500_is_retried_with_back_off_until_the_receiver_recovers(
    receiver, admin_ada, sales_sam, am_alice, time_machine
):
    time_machine.move_to(NOW, tick=False)
    _hook(admin_ada, receiver.url)
    _send_handoff(sales_sam, am_alice)
    delivery = OutboxMessage.objects.get(channel="webhook")
    receiver.replies = [500]
    assert services.outbox_deliver(message_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("pending", 500, 1)
    assert "HTTP 500" in delivery.last_error
    assert NOW + dt.timedelta(seconds=30) <= delivery.next_attempt_at <= NOW + dt.timedelta(seconds=60)
    assert services.outbox_deliver(message_id=delivery.pk) == "skipped"  # not due yet
    time_machine.move_to(delivery.next_attempt_at, tick=False)
    assert services.outbox_deliver(message_id=delivery.pk) == "sent"
    assert len(receiver.requests) == 2
    assert receiver.requests[0][1]["X-CRM-Event-Id"] == receiver.requests[1][1]["X-CRM-Event-Id"]
    assert OutboxMessage.objects.get(pk=delivery.pk).status == "sent"


def test_retries_stop_after_a_day_and_a_4xx_is_not_retried(receiver, admin_ada, sales_sam, am_alice, time_machine):
    time_machine.move_to(NOW, tick=False)
    _hook(admin_ada, receiver.url)
    _send_handoff(sales_sam, am_alice)
    first = OutboxMessage.objects.get(channel="webhook")
    receiver.replies = [503, 503]
    assert services.outbox_deliver(message_id=first.pk) == "retry"
    time_machine.move_to(NOW + dt.timedelta(hours=24, minutes=1), tick=False)
    assert services.outbox_deliver(message_id=first.pk) == "failed"  # a day of trying is enough

    _send_handoff(sales_sam, am_alice, name="Osprey Labs")
    second = OutboxMessage.objects.filter(channel="webhook").exclude(pk=first.pk).get()
    receiver.replies = [410]
    assert services.outbox_deliver(message_id=second.pk) == "failed"
    assert OutboxMessage.objects.get(pk=second.pk).response_status == 410


def test_send_again_delivers_the_same_event_once_more(receiver, admin_ada, sales_sam, am_alice, client,
                                                      django_capture_on_commit_callbacks):  # fmt: skip
    hook, _ = _hook(admin_ada, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        _send_handoff(sales_sam, am_alice)
    delivery = OutboxMessage.objects.get(webhook=hook)
    client.force_login(admin_ada)
    page = client.get(f"/settings/webhooks/{hook.pk}/").content.decode()
    assert "Send again" in page and "handoff.sent" in page
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/settings/webhook-deliveries/{delivery.pk}/send-again/")
    assert answer.status_code == 302
    assert len(receiver.requests) == 2
    assert {r[1]["X-CRM-Event-Id"] for r in receiver.requests} == {str(delivery.event_id)}
    again = OutboxMessage.objects.filter(channel="webhook").exclude(pk=delivery.pk).get()
    assert (again.resent_from_id, again.status) == (delivery.pk, "sent")


def test_slack_format_posts_text_and_blocks(receiver, admin_ada, sales_sam, am_alice,
                                            django_capture_on_commit_callbacks):  # fmt: skip
    _hook(admin_ada, receiver.url, format="slack")
    with django_capture_on_commit_callbacks(execute=True):
        _send_handoff(sales_sam, am_alice)
    message = json.loads(receiver.requests[0][2])
    assert message["text"].startswith("Sam handed off Kestrel Foods to you: Kestrel 2027")
    assert [b["type"] for b in message["blocks"]] == ["section", "actions", "context"]


def test_a_host_that_turned_private_is_refused_at_send_time(receiver, settings, admin_ada, sales_sam, am_alice):
    """Registered while allowed (or while the name resolved elsewhere): the send re-checks the address."""
    hook, _ = _hook(admin_ada, receiver.url)
    _send_handoff(sales_sam, am_alice)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    delivery = OutboxMessage.objects.get(webhook=hook)
    assert services.outbox_deliver(message_id=delivery.pk) == "failed"
    assert receiver.requests == []
    assert "loopback, link-local or private" in OutboxMessage.objects.get(pk=delivery.pk).last_error


def test_a_paused_webhook_gets_no_new_delivery(receiver, admin_ada, sales_sam, am_alice):
    hook, _ = _hook(admin_ada, receiver.url)
    services.webhook_update(webhook=hook, by=admin_ada, is_active=False)
    _send_handoff(sales_sam, am_alice)
    assert not OutboxMessage.objects.filter(channel="webhook").exists()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://93.184.216.34/x", "javascript:alert(1)", "file:///etc/passwd", "http:///path",
        "http://127.0.0.1:8000/", "http://localhost/", "http://[::1]/", "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/", "http://172.16.3.4/", "http://192.168.1.1/", "http://0.0.0.0/", "http://100.64.0.1/",
        "http://[::ffff:127.0.0.1]/", "http://[fe80::1]/", "http://[fd00::1]/", "http://user:pw@93.184.216.34/",
        "http://no-such-host.invalid/", "http://93.184.216.34:99999/",
    ],
)  # fmt: skip
def test_urls_the_product_must_not_call_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ValidationError):
        webhooks.validate_url(url)


def test_a_public_address_is_accepted_and_private_ones_only_with_the_setting(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    assert webhooks.validate_url(" https://93.184.216.34/hooks ") == "https://93.184.216.34/hooks"
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert webhooks.validate_url("http://127.0.0.1:9/") == "http://127.0.0.1:9/"


def test_only_admins_manage_webhooks(am_alice, lead_lena, admin_ada, client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(NotAllowedError):
        services.webhook_create(by=lead_lena, name="x", url="https://93.184.216.34/", events=["flag.opened"])
    client.force_login(am_alice)
    assert client.get("/settings/webhooks/").status_code == 403
    assert client.get("/api/v1/webhooks/").status_code == 403


def test_the_api_shows_the_secret_once_then_masked_and_refuses_bad_urls(admin_ada, client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(admin_ada)
    body = {"name": "Slack #risk", "url": "https://93.184.216.34/services/T0", "events": ["flag.opened"],
            "format": "slack"}  # fmt: skip
    created = client.post("/api/v1/webhooks/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    shown = client.get(f"/api/v1/webhooks/{created.json()['id']}/").json()
    assert shown["secret"] == "••••••••" + secret[-4:]
    refused = client.post(
        "/api/v1/webhooks/", body | {"url": "http://169.254.169.254/"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "url" in refused.json()["error"]["fields"]
    bad_event = client.post("/api/v1/webhooks/", body | {"events": ["flag.eaten"]}, content_type="application/json")
    assert bad_event.status_code == 400
    rotated = client.post(f"/api/v1/webhooks/{created.json()['id']}/rotate-secret/").json()["secret"]
    assert rotated != secret and Webhook.objects.get().secret == rotated
    assert client.get(f"/api/v1/webhooks/{created.json()['id']}/deliveries/").status_code == 200
    assert client.get("/api/v1/webhook-deliveries/").status_code == 200


def test_the_pages_create_edit_and_delete_a_webhook(admin_ada, client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(admin_ada)
    assert "No webhook yet" in client.get("/settings/webhooks/").content.decode()
    form = {"name": "Ops", "url": "http://192.168.0.10/hook", "events": ["flag.opened", "flag.resolved"],
            "format": "json", "is_active": "on"}  # fmt: skip
    refused = client.post("/settings/webhooks/new/", form)
    assert refused.status_code == 200 and "private address" in refused.content.decode()
    assert not Webhook.objects.exists()
    created = client.post("/settings/webhooks/new/", form | {"url": "https://93.184.216.34/hook"})
    hook = Webhook.objects.get()
    assert created.status_code == 200 and hook.secret in created.content.decode()  # shown once...
    detail = client.get(f"/settings/webhooks/{hook.pk}/").content.decode()
    assert hook.secret not in detail and hook.masked_secret in detail  # ...then masked
    edited = client.post(
        f"/settings/webhooks/{hook.pk}/edit/", form | {"url": "https://93.184.216.34/v2", "name": "Ops 2"}
    )
    assert edited.status_code == 302 and Webhook.objects.get().name == "Ops 2"
    assert "Delete Ops 2?" in client.get(f"/settings/webhooks/{hook.pk}/delete/").content.decode()
    assert client.post(f"/settings/webhooks/{hook.pk}/delete/").status_code == 302
    assert not Webhook.objects.exists()


def test_a_receiver_that_is_down_does_not_hold_up_the_morning_run(
    settings, admin_ada, am_alice, django_capture_on_commit_callbacks
):
    """Flags open and the digests go while each webhook delivery waits for its own retry."""
    from flags.models import TriggerRule
    from flags.tests.test_evaluation import TODAY, orders
    from kpis.services import metrics_ensure_defaults

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    metrics_ensure_defaults()
    TriggerRule.objects.create(
        name="Orders falling",
        kind="kpi_drop",
        params={"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28},
    )
    client = ClientFactory(name="Ibis Travel", owner=am_alice, team=am_alice.team)
    orders(client, recent=40)
    _hook(admin_ada, f"http://127.0.0.1:{free_port()}/nobody-listens", events=["flag.opened"])
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the delivery tasks run (eagerly) and fail fast
        call_command("evaluate_day", "--date", TODAY.isoformat(), stdout=out)
    assert "1 digest e-mail(s) sent" in out.getvalue()
    delivery = OutboxMessage.objects.get(channel="webhook")
    assert json.loads(delivery.body)["data"]["client"] == "Ibis Travel"
    assert (delivery.status, delivery.attempts) == (OutboxStatus.PENDING, 1)  # waits for its retry
    assert "Connection refused" in delivery.last_error or "ConnectionRefused" in delivery.last_error


def test_the_openapi_schema_describes_webhooks_deliveries_and_preferences(client, am_alice):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/webhooks/", "/api/v1/webhooks/{id}/deliveries/", "/api/v1/webhooks/{id}/rotate-secret/",
        "/api/v1/webhook-deliveries/{id}/send-again/", "/api/v1/me/notification-preferences/", "/api/v1/notifications/",
    ):  # fmt: skip
        assert path in schema


def test_playbook_and_commitment_events_become_deliveries(settings, admin_ada, am_alice):
    """playbooks.run_started / run_completed (published by the playbooks app; here by the test) and the morning
    run's overdue commitments: one delivery per event, the same event again is no second delivery."""
    from core import events
    from flags import digest
    from interactions.models import FollowUp

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    events_wanted = ["playbook.started", "playbook.completed", "commitment.overdue"]
    hook, _ = _hook(admin_ada, "https://93.184.216.34/hook", events=events_wanted)
    for _ in range(2):
        events.publish("playbooks.run_started", run_id=5, playbook_id=2, client_id=9,
                       display={"client": "Gannet Ltd", "playbook": "Onboarding", "url": "/clients/9/"})  # fmt: skip
    events.publish("playbooks.run_completed", run_id=5, playbook_id=2, client_id=9)
    client = ClientFactory(name="Heron Bank", owner=am_alice, team=am_alice.team)
    today = dt.date(2026, 11, 24)
    FollowUp.objects.create(client=client, owner=am_alice, title="Send the SLA report", is_commitment=True,
                            due_date=today - dt.timedelta(days=1))  # fmt: skip
    digest.send_daily_digests(on_date=today)
    digest.send_daily_digests(on_date=today)  # the day again
    rows = {row.event: json.loads(row.body) for row in OutboxMessage.objects.filter(webhook=hook)}
    assert OutboxMessage.objects.filter(webhook=hook).count() == 3
    assert (
        rows["playbook.started"]["data"]["run_id"] == 5 and rows["playbook.started"]["data"]["client"] == "Gannet Ltd"
    )
    assert rows["playbook.completed"]["data"]["run_id"] == 5
    assert rows["commitment.overdue"]["data"]["client"] == "Heron Bank"
    assert rows["commitment.overdue"]["data"]["title"] == "Send the SLA report"
