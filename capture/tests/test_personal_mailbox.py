"""An account manager's own mailbox, against a real Dovecot: connected with consent after a login check, the
password sealed, reading from the next message on, only mail with clients' contacts kept, disconnect forgets."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from capture import imap, services
from capture.models import CapturedMessage, CaptureStatus, MailboxState, PersonalMailbox
from capture.tests.dovecot import DOVECOT, PASSWORD, PrivateDovecot
from capture.tests.mail import message
from core.errors import ApplicationError
from core.sealed import unseal
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


def _connect(dovecot, user, **overrides):
    values = {
        "host": "127.0.0.1", "port": dovecot.port, "security": "plain", "username": "alice",
        "password": PASSWORD, "mailbox": "INBOX", "consent": True,
    }  # fmt: skip
    return services.personal_mailbox_connect(user=user, **{**values, **overrides})


def test_only_mail_with_clients_contacts_is_kept_and_history_is_not_read(dovecot, am_alice):
    acme = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team)
    ContactFactory(client=acme, first_name="Dora", email="dora@acme.example")
    dovecot.append(message(message_id="<old@acme.example>", subject="Old client mail"), user="alice")

    mailbox = _connect(dovecot, am_alice)
    assert mailbox.password_sealed != PASSWORD and PASSWORD not in mailbox.password_sealed
    assert unseal(mailbox.password_sealed) == PASSWORD

    dovecot.append(message(message_id="<new@acme.example>", subject="New client mail"), user="alice")
    dovecot.append(
        message(sender="Mum <mum@family.example>", message_id="<private@family.example>", subject="Sunday lunch"),
        user="alice",
    )
    report = imap.personal_mailboxes_poll()

    assert report.errors == []
    assert list(CapturedMessage.objects.values_list("subject", "status")) == [("New client mail", CaptureStatus.FILED)]
    assert not CapturedMessage.objects.filter(message_id__contains="private").exists()
    state = MailboxState.objects.get(account=f"alice@127.0.0.1:{dovecot.port}")
    assert state.last_uid == 3  # moved past the private message too: it is never read again
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""


def test_connecting_needs_consent_and_a_login_the_server_takes(dovecot, am_alice):
    with pytest.raises(ApplicationError) as refused:
        _connect(dovecot, am_alice, consent=False)
    assert refused.value.field == "consent"
    with pytest.raises(ApplicationError) as refused:
        _connect(dovecot, am_alice, password="wrong")
    assert refused.value.field == "password" and "refused" in refused.value.message
    with pytest.raises(ApplicationError) as refused:
        _connect(dovecot, am_alice, mailbox="No such folder")
    assert "does not exist" in refused.value.message
    assert not PersonalMailbox.objects.exists() and not MailboxState.objects.exists()


def test_a_password_sealed_with_a_retired_key_asks_its_owner_to_enter_it_again(dovecot, am_alice, settings):
    _connect(dovecot, am_alice)
    settings.SEALING_KEYS = [Fernet.generate_key().decode()]
    report = imap.personal_mailboxes_poll()
    assert report.errors == []
    assert "enter it again" in PersonalMailbox.objects.get().last_error


def test_the_page_connects_shows_errors_on_the_field_and_disconnects(client, dovecot, am_alice):
    client.force_login(am_alice)
    url = reverse("capture:personal_mailbox")
    form = {"host": "127.0.0.1", "port": dovecot.port, "security": "plain", "username": "alice", "mailbox": "INBOX"}
    page = client.post(url, {**form, "password": "wrong", "consent": "on"})
    assert page.status_code == 200 and "password" in page.context["form"].errors
    assert client.post(url, {**form, "password": PASSWORD, "consent": "on"}).status_code == 302
    assert "Connected: alice on 127.0.0.1" in client.get(url).content.decode()
    assert client.post(url, {"action": "disconnect"}).status_code == 302
    assert not PersonalMailbox.objects.exists()
    assert not MailboxState.objects.filter(account__startswith="alice@").exists()
