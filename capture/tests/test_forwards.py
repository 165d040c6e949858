"""A colleague forwarding a client's mail to the capture address: the client's message is what lands (its
sender, date and text), once, however many colleagues forward it and in whichever mail program."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default

import pytest

from capture import services
from capture.forwards import unwrap_forward
from capture.models import CapturedMessage, CaptureSource, Direction
from capture.tests.mail import message
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC)

GMAIL = """FYI, see below.

---------- Forwarded message ---------
From: Dora Client <dora@acme.example>
Date: Mon, 2 Mar 2026 10:00:00 +0100
Subject: Renewal questions
To: Alice <am_alice@example.com>

Hello Alice,

can we talk about the renewal next week?

Dora
"""

MAILRU = """

-------- Пересылаемое сообщение --------
От кого: Дора Клиентова <dora@acme.example>
Кому: am_alice@example.com
Дата: Mon, 02 Mar 2026 12:00:00 +0300
Тема: Продление договора

Добрый день! Готовы обсудить продление.
"""

QQ = """------------------ 原始邮件 ------------------
发件人: "李明" <li.ming@acme.example>
发送时间: 2026年3月2日(星期一) 上午10:00
收件人: "Alice" <am_alice@example.com>
主题: 培训计划

您好，我们希望安排两次培训。
"""


@pytest.fixture
def acme(am_alice):
    client = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team)
    ContactFactory(client=client, first_name="Dora", email="dora@acme.example")
    ContactFactory(client=client, first_name="Li", email="li.ming@acme.example")
    return client


def _forward(body: str, *, sender="Alice <am_alice@example.com>", subject="Fwd: Renewal questions") -> bytes:
    return message(sender=sender, to="crm@ourco.example", subject=subject, body=body)


def test_an_inline_gmail_forward_lands_as_the_clients_message(acme, am_alice):
    result = services.message_capture(raw=_forward(GMAIL), source=CaptureSource.INBOUND, now=NOW)
    captured = result.message
    assert captured.from_email == "dora@acme.example"
    assert captured.subject == "Renewal questions"
    assert captured.sent_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    assert captured.direction == Direction.INBOUND
    assert captured.client == acme
    assert captured.body_text.startswith("Hello Alice,")
    interaction = captured.interaction
    assert interaction.author == am_alice and interaction.occurred_at == captured.sent_at
    assert [c.first_name for c in interaction.contacts.all()] == ["Dora"]


def test_the_same_mail_forwarded_by_two_colleagues_is_one_message(acme, am_bob):
    services.message_capture(raw=_forward(GMAIL), source=CaptureSource.INBOUND, now=NOW)
    again = services.message_capture(
        raw=_forward("Bob here, forwarding too.\n\n" + GMAIL, sender="Bob <am_bob@example.com>"),
        source=CaptureSource.INBOUND,
        now=NOW,
    )
    assert again.created is False
    assert CapturedMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "sender", "subject"),
    [(MAILRU, "dora@acme.example", "Продление договора"), (QQ, "li.ming@acme.example", "培训计划")],
)
def test_russian_and_chinese_forward_headers_are_read(acme, body, sender, subject):
    captured = services.message_capture(
        raw=_forward(body, subject=f"Fwd: {subject}"), source=CaptureSource.INBOUND, now=NOW
    ).message
    assert (captured.from_email, captured.subject, captured.client) == (sender, subject, acme)


def test_an_original_attached_whole_keeps_its_own_message_id(acme):
    original = message(message_id="<orig-1@mail.acme.example>", subject="Invoice 2026-03")
    forward = EmailMessage()
    forward["From"] = "Alice <am_alice@example.com>"
    forward["To"] = "crm@ourco.example"
    forward["Subject"] = "FW: Invoice 2026-03"
    forward["Message-ID"] = "<fw-1@ourco.example>"
    forward.set_content("See attached.")
    forward.add_attachment(message_from_bytes(original, policy=default))  # Outlook's "Forward as attachment"
    captured = services.message_capture(raw=forward.as_bytes(policy=SMTP), source=CaptureSource.INBOUND).message
    assert captured.message_id == "orig-1@mail.acme.example"
    assert captured.from_email == "dora@acme.example" and captured.client == acme


def test_a_client_forwarding_something_to_us_is_their_own_message(acme):
    raw = _forward(GMAIL, sender="Dora Client <dora@acme.example>")
    captured = services.message_capture(raw=raw, source=CaptureSource.INBOUND, now=NOW).message
    assert captured.subject == "Fwd: Renewal questions" and captured.from_email == "dora@acme.example"


def test_a_plain_message_is_no_forward():
    assert unwrap_forward(message(body="Hello,\n\nFrom: the team\nThanks")) is None
