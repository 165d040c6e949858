"""The IMAP poller against a real Dovecot started by the test: what lands, and nothing read twice after a cut."""

from __future__ import annotations

import pytest

from capture.imap import config_from_url, imap_poll
from capture.models import CapturedMessage, CaptureReason, CaptureStatus, MailboxState
from capture.tests.dovecot import DOVECOT, PrivateDovecot
from capture.tests.mail import HTML_ONLY, cyrillic_koi8, message
from interactions.models import Interaction
from tests.factories import ClientFactory, ContactFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not DOVECOT.exists(), reason="Dovecot is not installed (apt-get install dovecot-imapd)"),
]


@pytest.fixture
def dovecot():
    server = PrivateDovecot().start()
    yield server
    server.destroy()


@pytest.fixture
def acme(am_alice, am_bob):
    client = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team)
    ContactFactory(client=client, first_name="Dora", email="dora@acme.example")
    return client


def test_real_messages_land_as_they_should(dovecot, acme, am_alice, am_bob, settings):
    settings.CAPTURE_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
    big = bytes(range(256)) * (10 * 1024 * 4)  # a 10 MB attachment (about 13.7 MB on the wire)
    medium = b"%PDF-1.7 " + b"0" * (3 * 1024 * 1024)
    to_both = message(to="Alice <am_alice@example.com>, Bob <am_bob@example.com>", message_id="<both@acme.example>")
    for raw in (
        cyrillic_koi8(),
        message(body=None, html=HTML_ONLY, subject="HTML only"),
        message(subject="With the contract", attachments=(("contract.pdf", "application/pdf", medium),)),
        message(subject="Too big", attachments=(("video.bin", "application/octet-stream", big),)),
        to_both,
        to_both,  # the second colleague's copy
        b"From: \r\nSubject: broken\r\n\r\n\xff\xfe garbage",
    ):
        dovecot.append(raw)

    report = imap_poll(config=config_from_url(dovecot.url()))

    assert report.errors == []
    assert (report.captured, report.seen_before, report.failed) == (4, 1, 2)
    by_subject = {m.subject: m for m in CapturedMessage.objects.all()}
    assert by_subject["Продление договора"].status == CaptureStatus.FILED
    assert by_subject["Продление договора"].interaction.summary.startswith("Продление договора\n\nДобрый день")
    html = by_subject["HTML only"]
    assert html.from_html and "<" not in html.body_text and "alert" not in html.interaction.summary
    [attachment] = by_subject["With the contract"].attachments
    assert (attachment["name"], attachment["type"], attachment["size"]) == (
        "contract.pdf",
        "application/pdf",
        len(medium),
    )
    assert attachment["kept"] is True  # filed to ACME, so kept as its document (capture/tests/test_attachments.py)
    too_big = by_subject["Too big"]
    assert too_big.status == CaptureStatus.FAILED and too_big.reason == CaptureReason.TOO_LARGE
    assert too_big.size > 10 * 1024 * 1024
    assert CapturedMessage.objects.filter(message_id="both@acme.example").count() == 1
    broken = CapturedMessage.objects.get(reason=CaptureReason.NO_SENDER)
    assert broken.status == CaptureStatus.FAILED and broken.source == "imap"
    assert Interaction.objects.filter(client=acme).count() == 4
    state = MailboxState.objects.get()
    assert state.last_uid == 7 and state.uidvalidity and state.last_error == ""

    again = imap_poll(config=config_from_url(dovecot.url()))
    assert (again.captured, again.seen_before, again.failed, again.errors) == (0, 0, 0, [])


def test_a_connection_killed_mid_poll_loses_and_duplicates_nothing(dovecot, acme):
    for n in range(6):
        dovecot.append(message(subject=f"Message {n}", message_id=f"<cut-{n}@acme.example>"))
    config = config_from_url(dovecot.url())

    def stop_after_the_second(uid: int) -> None:
        if uid == 2:
            dovecot.stop()  # the server goes away between two fetches

    first = imap_poll(config=config, on_captured=stop_after_the_second)
    assert first.captured == 2 and first.errors, first
    state = MailboxState.objects.get()
    assert state.last_uid == 2 and state.last_error

    offline = imap_poll(config=config)  # the next beat run while the server is still down
    assert offline.errors and offline.captured == 0

    dovecot.start()
    second = imap_poll(config=config)
    assert (second.captured, second.seen_before, second.errors) == (4, 0, [])
    subjects = sorted(CapturedMessage.objects.values_list("subject", flat=True))
    assert subjects == [f"Message {n}" for n in range(6)]  # each exactly once
    assert Interaction.objects.filter(client=acme).count() == 6
    state.refresh_from_db()
    assert state.last_uid == 6 and state.last_error == ""


def test_a_new_uidvalidity_rereads_the_mailbox_without_duplicates(dovecot, acme):
    dovecot.append(message(message_id="<v1@acme.example>"))
    config = config_from_url(dovecot.url())
    imap_poll(config=config)
    MailboxState.objects.update(uidvalidity=1)  # as if the server had rebuilt the mailbox
    report = imap_poll(config=config)
    assert (report.captured, report.seen_before) == (0, 1)
    assert CapturedMessage.objects.count() == 1


def test_a_wrong_password_is_reported_not_raised(dovecot):
    report = imap_poll(config=config_from_url(dovecot.url().replace("capture-test-pass", "wrong"), timeout=5))
    assert report.errors and report.captured == 0


def test_imap_urls_are_read():
    config = config_from_url("imaps://alice%40example.com:app%20pass@imap.gmail.com/%5BGmail%5D%2FAll%20Mail")
    assert (config.host, config.port, config.username, config.password, config.security) == (
        "imap.gmail.com", 993, "alice@example.com", "app pass", "ssl",
    )  # fmt: skip
    assert config.mailboxes == ("[Gmail]/All Mail",)
    assert config_from_url("imap://u:p@127.0.0.1:1143").mailboxes == ("INBOX",)
    with pytest.raises(ValueError):
        config_from_url("http://nope")
