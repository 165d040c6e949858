"""The demo's sample mail goes through the real capture path: filed, threaded, Russian and Chinese text read,
one message left in To file, and a meeting scheduled from an invitation."""

from __future__ import annotations

import datetime as dt

import pytest

from capture.demo import seed_captured_mail
from capture.models import CapturedMessage, CaptureStatus, ScheduledMeeting
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def test_sample_mail_is_captured_like_real_mail(am_alice, am_bob):
    clients = []
    for index, owner in enumerate([am_alice, am_bob, am_alice]):
        client = ClientFactory(name=f"Client {index}", owner=owner, team=owner.team)
        ContactFactory(client=client, first_name=f"Dora{index}", email=f"dora@client{index}.example")
        clients.append(client)

    assert seed_captured_mail(clients=clients, now=NOW) == 5
    messages = {m.subject: m for m in CapturedMessage.objects.all()}
    assert messages["Question about the renewal terms"].client == clients[0]
    reply = messages["Re: Question about the renewal terms"]
    assert reply.thread_id == messages["Question about the renewal terms"].thread_id
    russian = messages["Проблема с отчётами"]
    assert russian.client == clients[1] and russian.from_html and "отчёт за ноябрь" in russian.body_text
    assert "培训" in messages["关于下季度的培训计划"].body_text
    assert messages["Request for a quote"].status == CaptureStatus.TO_FILE
    assert ScheduledMeeting.objects.get().client == clients[0]
    # Seeding twice adds nothing (Message-IDs and the invitation's UID are known).
    assert seed_captured_mail(clients=clients, now=NOW) == 0
    assert ScheduledMeeting.objects.count() == 1
