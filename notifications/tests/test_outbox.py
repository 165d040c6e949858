"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): idempotent enqueue, exactly-once delivery."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from notifications import services
from notifications.models import OutboxMessage, OutboxStatus
from tests.smtp import free_port

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)


def enqueue(key: str = "digest:1:2026-11-24", **extra):
    fields = {"recipient": "alice@example.com", "subject": "Your accounts", "body": "Three flags.", **extra}
    return services.outbox_enqueue(key=key, kick=False, **fields)


def test_the_same_key_twice_keeps_one_row(time_machine):
    time_machine.move_to(NOW, tick=False)
    first, created = enqueue()
    again, created_again = enqueue(subject="Something else")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and OutboxMessage.objects.count() == 1
    assert OutboxMessage.objects.get().subject == "Your accounts"


def test_a_message_goes_out_once_through_real_smtp(smtp_server, time_machine):
    time_machine.move_to(NOW, tick=False)
    message, _ = enqueue(html="<p>Three flags.</p>")
    assert services.outbox_deliver(message_id=message.pk) == "sent"
    assert services.outbox_deliver(message_id=message.pk) == "skipped"  # a redelivered task
    assert services.outbox_deliver_due() == 0  # the periodic delivery
    assert smtp_server.recipients() == ["alice@example.com"]
    received = smtp_server.messages[0]
    assert received["Subject"] == "Your accounts"
    assert received["X-CRM-Outbox-Key"] == "digest:1:2026-11-24"
    assert received["Message-ID"] == f"<outbox-{message.pk}@localhost>"
    assert received.is_multipart()  # text and HTML
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == (OutboxStatus.SENT, 1, NOW)


def test_a_transient_smtp_error_is_recorded_and_retried_with_backoff(smtp_server, time_machine):
    time_machine.move_to(NOW, tick=False)
    smtp_server.replies.append("451 4.3.0 Mailbox busy, try again later")
    message, _ = enqueue()
    assert services.outbox_deliver(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "451" in message.last_error and "try again later" in message.last_error
    # First retry after 50-100% of OUTBOX_RETRY_BASE_SECONDS (60 s): exponential back-off with jitter.
    assert NOW + dt.timedelta(seconds=30) <= message.next_attempt_at <= NOW + dt.timedelta(seconds=60)
    assert services.outbox_deliver_due() == 0  # not due yet
    time_machine.move_to(message.next_attempt_at, tick=False)
    smtp_server.replies.append("421 4.7.0 Too many connections")
    assert services.outbox_deliver_due() == 0
    message.refresh_from_db()
    # The second wait doubles: 60-120 s.
    delay = message.next_attempt_at - dt.datetime.now(tz=dt.UTC)
    assert dt.timedelta(seconds=60) <= delay <= dt.timedelta(seconds=120)
    time_machine.move_to(message.next_attempt_at, tick=False)
    assert services.outbox_deliver_due() == 1
    assert smtp_server.recipients() == ["alice@example.com"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 3)


def test_a_refused_connection_is_transient(settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", free_port(), False
    message, _ = enqueue()
    assert services.outbox_deliver(message_id=message.pk) == "retry"
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and "Connection refused" in message.last_error


def test_a_permanent_smtp_error_fails_without_retrying(smtp_server, time_machine):
    time_machine.move_to(NOW, tick=False)
    smtp_server.replies.append("550 5.1.1 No such user here")
    message, _ = enqueue()
    assert services.outbox_deliver(message_id=message.pk) == "failed"
    time_machine.move_to(NOW + dt.timedelta(days=1), tick=False)
    assert services.outbox_deliver_due() == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 1)
    assert "550" in message.last_error and smtp_server.messages == []


def test_after_the_attempt_limit_a_message_fails(smtp_server, settings, time_machine):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    time_machine.move_to(NOW, tick=False)
    smtp_server.replies.extend(["451 4.3.0 busy", "451 4.3.0 still busy"])
    message, _ = enqueue()
    assert services.outbox_deliver(message_id=message.pk) == "retry"
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=False)
    assert services.outbox_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 2)


def test_a_claim_whose_sender_vanished_is_taken_again_after_the_lease(smtp_server, settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    message, _ = enqueue()
    assert services.outbox_claim(message_id=message.pk, now=NOW) is not None  # ...and the worker dies here
    time_machine.move_to(NOW + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS - 1), tick=False)
    assert services.outbox_deliver_due() == 0  # still someone else's
    assert smtp_server.messages == []
    time_machine.move_to(NOW + dt.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1), tick=False)
    assert services.outbox_deliver_due() == 1
    assert services.outbox_deliver_due() == 0
    assert smtp_server.recipients() == ["alice@example.com"]


def test_enqueue_kicks_delivery_once_the_caller_commits(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.outbox_enqueue(key="invite:7", recipient="bob@example.com", subject="Hi", body="Hello")
        services.outbox_enqueue(key="invite:7", recipient="bob@example.com", subject="Hi", body="Hello")
    assert smtp_server.messages == []  # nothing leaves before the commit
    assert len(callbacks) == 1  # the second enqueue found the row: no second kick
    callbacks[0]()  # the commit: the (eager) delivery task runs
    assert smtp_server.recipients() == ["bob@example.com"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_two_senders_at_the_same_moment_send_once(smtp_server):
    message, _ = enqueue()
    barrier, results = threading.Barrier(4), []

    def deliver():
        try:
            barrier.wait()
            results.append(services.outbox_deliver(message_id=message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert smtp_server.recipients() == ["alice@example.com"]
