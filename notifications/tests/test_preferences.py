"""Each user chooses per kind: in app, e-mail, both, off (page and API); the morning digest follows the choices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from flags import digest
from flags.models import Flag, FlagStatus
from interactions.models import FollowUp, FollowUpStatus
from notifications import selectors, services
from notifications.models import Notification, NotificationPreference, OutboxMessage
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("channel", "in_app", "emails"), [("both", 1, 1), ("in_app", 1, 0), ("email", 0, 1), ("off", 0, 0)]
)
def test_each_channel_choice_is_respected(am_alice, channel, in_app, emails):
    services.notification_preferences_update(user=am_alice, choices={"mention": channel})
    params = {"by": "Bob", "client": "Ibis Travel", "excerpt": "ask @am_alice"}
    told = services.notify(kind="mention", user_ids=[am_alice.pk], params=params, url="/clients/1/", key="m1")
    assert told == (0 if channel == "off" else 1)
    assert Notification.objects.filter(user=am_alice).count() == in_app
    assert OutboxMessage.objects.filter(recipient=am_alice.email).count() == emails


def test_a_kind_without_a_choice_uses_its_default_and_the_same_key_sends_one_email(am_alice):
    assert selectors.preferences_of(user=am_alice)["handoff_sent"] == "both"
    for _ in range(2):
        services.notify(kind="handoff_sent", user_ids=[am_alice.pk], params={"client": "X"}, key="handoff.sent:1:1")
    assert OutboxMessage.objects.count() == 1


def test_a_bad_choice_is_refused_whole(am_alice):
    with pytest.raises(Exception) as error:
        services.notification_preferences_update(user=am_alice, choices={"mention": "off", "handoff_sent": "pigeon"})
    assert "handoff_sent" in error.value.message_dict
    assert not NotificationPreference.objects.exists()


def test_the_settings_page_saves_every_kind(client, am_alice):
    client.force_login(am_alice)
    page = client.get("/accounts/notifications/")
    assert page.status_code == 200 and "A client is assigned to me" in page.content.decode()
    choices = {kind: "both" for kind in selectors.preferences_of(user=am_alice)} | {"mention": "off"}
    assert client.post("/accounts/notifications/", choices).status_code == 302
    assert selectors.preferences_of(user=am_alice)["mention"] == "off"
    bad = client.post("/accounts/notifications/", choices | {"mention": "pigeon"})
    assert bad.status_code == 200 and "is-invalid" in bad.content.decode()


def test_the_api_reads_and_changes_the_choices(client, am_alice):
    client.force_login(am_alice)
    url = "/api/v1/me/notification-preferences/"
    assert client.get(url).json()["contact_overdue"] == "email"
    answer = client.patch(url, {"contact_overdue": "off"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["contact_overdue"] == "off"
    refused = client.patch(url, {"contact_overdue": "fax"}, content_type="application/json")
    assert refused.status_code == 400
    assert client.get("/api/v1/notifications/").status_code == 200


@pytest.fixture
def digest_world(am_alice):
    client = ClientFactory(
        name="Ibis Travel", owner=am_alice, team=am_alice.team, contact_due_on=TODAY - dt.timedelta(3)
    )
    Flag.objects.create(
        client=client, title="Orders falling", evidence="-40%", assigned_to=am_alice, opened_on=TODAY,
        last_seen_on=TODAY, status=FlagStatus.OPEN,
    )  # fmt: skip
    FollowUp.objects.create(
        client=client, owner=am_alice, title="Send the SLA report", due_date=TODAY - dt.timedelta(2),
        is_commitment=True, status=FollowUpStatus.OPEN,
    )  # fmt: skip
    return client


def test_the_digest_holds_the_sections_chosen_by_email(digest_world, am_alice):
    services.notification_preferences_update(
        user=am_alice, choices={"flag_opened": "in_app", "commitment_overdue": "both", "contact_overdue": "email"}
    )
    assert digest.send_daily_digests(on_date=TODAY) == 1
    body = mail.outbox[0].body
    assert "Send the SLA report" in body and "Ibis Travel" in body
    assert "Orders falling" not in body  # new flags: in app only, so not in the digest


def test_no_digest_when_every_section_is_off_by_email(digest_world, am_alice):
    services.notification_preferences_update(
        user=am_alice, choices={"flag_opened": "in_app", "commitment_overdue": "off", "contact_overdue": "in_app"}
    )
    assert digest.send_daily_digests(on_date=TODAY) == 0
    assert mail.outbox == []


def test_the_legacy_switches_became_choices(am_bob):
    """The migration turned "no in-app notifications" / "no digest" into per-kind rows (same function here)."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("notifications.migrations.0003_kinds_preferences_webhooks")
    am_bob.in_app_notifications, am_bob.daily_digest = False, False
    am_bob.save()
    migration.copy_switches(apps, None)
    chosen = selectors.preferences_of(user=am_bob)
    assert chosen["flag_opened"] == "off" and chosen["contact_overdue"] == "off"
    assert chosen["handoff_sent"] == "email" and chosen["handoff_accepted"] == "off"
