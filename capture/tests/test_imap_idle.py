"""IMAP IDLE against a real Dovecot: mail appended while the loop idles is captured without waiting for a
poll, and the loop reconnects after the server cuts its connection."""

from __future__ import annotations

import threading

import pytest

from capture.imap import config_from_url, imap_idle_loop
from capture.models import CapturedMessage
from capture.tests.dovecot import DOVECOT, PrivateDovecot
from capture.tests.mail import message
from tests.factories import ClientFactory, ContactFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not DOVECOT.exists(), reason="Dovecot is not installed (apt-get install dovecot-imapd)"),
]
WAIT = 30  # seconds before a test gives up on an event that should come within one


@pytest.fixture
def dovecot():
    server = PrivateDovecot().start()
    yield server
    server.destroy()


class LoopWatcher:
    def __init__(self):
        self.idling = threading.Event()
        self.captured = threading.Event()
        self.reports = []

    def on_idle(self):
        self.idling.set()

    def on_report(self, report):
        self.reports.append(report)
        if report.captured:
            self.captured.set()


def _run(config, watcher, stop):
    thread = threading.Thread(
        target=imap_idle_loop,
        kwargs={"config": config, "stop": stop, "on_idle": watcher.on_idle, "on_report": watcher.on_report},
        daemon=True,
    )
    thread.start()
    return thread


def test_mail_arriving_during_idle_is_captured_and_a_cut_connection_is_resumed(dovecot, am_alice):
    acme = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team)
    ContactFactory(client=acme, first_name="Dora", email="dora@acme.example")
    dovecot.append(message(subject="Before the loop", message_id="<before@acme.example>"))
    watcher, stop = LoopWatcher(), threading.Event()
    # A long IDLE: only the server's announcement can wake the loop within the test's wait.
    thread = _run(config_from_url(dovecot.url()), watcher, stop)
    try:
        assert watcher.captured.wait(WAIT), "the message already in the mailbox was not read"
        assert watcher.idling.wait(WAIT), "the loop never entered IDLE"
        watcher.captured.clear()
        watcher.idling.clear()

        dovecot.append(message(subject="During IDLE", message_id="<during@acme.example>"))
        assert watcher.captured.wait(WAIT), "mail appended during IDLE was not captured"
        assert watcher.idling.wait(WAIT)
        watcher.captured.clear()

        dovecot.kick()  # the server drops the connection; the loop reconnects and reads on
        dovecot.append(message(subject="After the cut", message_id="<after@acme.example>"))
        assert watcher.captured.wait(WAIT), "the loop did not resume after the connection was cut"
    finally:
        stop.set()
        thread.join(WAIT)
    assert not thread.is_alive()
    subjects = sorted(CapturedMessage.objects.values_list("subject", flat=True))
    assert subjects == ["After the cut", "Before the loop", "During IDLE"]  # each once
    assert CapturedMessage.objects.filter(client=acme).count() == 3
