"""The inbound endpoint (secret, size) and the pages: upload, To file, filing in one click, privacy toggle."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from capture.models import CapturedMessage, CaptureDomain, CaptureStatus
from capture.tests.mail import message
from interactions.models import Interaction
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db
INBOUND = "/api/v1/capture/inbound/"
SECRET = "s3cret-inbound-token"


@pytest.fixture
def acme(am_alice):
    client = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team)
    ContactFactory(client=client, first_name="Dora", email="dora@acme.example")
    return client


def post_raw(client, raw: bytes, **headers):
    return client.generic("POST", INBOUND, raw, content_type="message/rfc822", **headers)


def test_inbound_mail_is_captured_once(client, acme, settings):
    settings.CAPTURE_INBOUND_SECRET = SECRET
    raw = message(message_id="<in-1@acme.example>")
    first = post_raw(client, raw, HTTP_X_CAPTURE_SECRET=SECRET)
    assert first.status_code == 201 and first.json()["status"] == "filed"
    again = post_raw(client, raw, HTTP_X_CAPTURE_SECRET=SECRET)
    assert again.status_code == 200 and again.json()["created"] is False
    assert Interaction.objects.filter(client=acme).count() == 1


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
def test_inbound_mail_with_a_wrong_or_missing_secret_is_refused(client, acme, settings, secret):
    settings.CAPTURE_INBOUND_SECRET = SECRET
    headers = {} if secret is None else {"HTTP_X_CAPTURE_SECRET": secret}
    response = post_raw(client, message(), **headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert CapturedMessage.objects.count() == 0


def test_the_endpoint_is_off_while_no_secret_is_set(client, acme, settings, admin_ada):
    settings.CAPTURE_INBOUND_SECRET = ""
    client.force_login(admin_ada)  # a session is no way in either
    assert post_raw(client, message(), HTTP_X_CAPTURE_SECRET="").status_code == 403


def test_too_large_a_body_is_413(client, settings):
    settings.CAPTURE_INBOUND_SECRET = SECRET
    settings.CAPTURE_MAX_MESSAGE_BYTES = 10_000
    raw = message(attachments=(("big.bin", "application/octet-stream", b"0" * 20_000),))
    response = post_raw(client, raw, HTTP_X_CAPTURE_SECRET=SECRET)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert CapturedMessage.objects.count() == 0


def test_a_malformed_body_is_stored_as_failed_not_a_500(client, settings):
    settings.CAPTURE_INBOUND_SECRET = SECRET
    response = post_raw(client, b"\x00\xff not mail", HTTP_X_CAPTURE_SECRET=SECRET)
    assert response.status_code == 201 and response.json()["status"] == "failed"
    assert post_raw(client, b"", HTTP_X_CAPTURE_SECRET=SECRET).status_code == 400


def test_uploading_an_eml_on_a_client_page(client, acme, am_alice, am_bob):
    client.force_login(am_alice)
    page = client.get(reverse("clients:detail", args=[acme.pk])).content.decode()
    assert reverse("capture:upload", args=[acme.pk]) in page
    upload = SimpleUploadedFile("mail.eml", message(subject="From the upload"), content_type="message/rfc822")
    response = client.post(reverse("capture:upload", args=[acme.pk]), {"file": upload})
    assert response.status_code == 302
    captured = CapturedMessage.objects.get()
    assert captured.client == acme and captured.source == "upload" and captured.interaction.author == am_alice
    client.force_login(am_bob)  # a teammate reads the client but may not add to it
    bad = SimpleUploadedFile("mail.eml", message(), content_type="message/rfc822")
    assert client.post(reverse("capture:upload", args=[acme.pk]), {"file": bad}).status_code == 403


def test_an_unreadable_or_too_large_upload_is_a_form_error(client, acme, am_alice, settings):
    client.force_login(am_alice)
    url = reverse("capture:upload", args=[acme.pk])
    response = client.post(url, {"file": SimpleUploadedFile("x.eml", b"not an e-mail at all")})
    assert response.status_code == 200 and "not an e-mail message" in response.content.decode()
    settings.CAPTURE_MAX_MESSAGE_BYTES = 100
    response = client.post(url, {"file": SimpleUploadedFile("x.eml", message())})
    assert response.status_code == 200 and "the limit is" in response.content.decode()


def test_the_to_file_queue_files_in_one_click_and_learns_the_domain(client, am_alice, am_bob):
    globex = ClientFactory(name="Globex", owner=am_alice, team=am_alice.team)
    from capture.services import message_capture

    captured = message_capture(raw=message(sender="hank@globex.example"), source="imap").message
    client.force_login(am_alice)
    page = client.get(reverse("capture:to_file")).content.decode()
    assert "Renewal questions" in page and "Globex" in page
    response = client.post(
        reverse("capture:file", args=[captured.pk]), {f"m{captured.pk}-client": globex.pk,
                                                     f"m{captured.pk}-remember_domain": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    captured.refresh_from_db()
    assert captured.status == CaptureStatus.FILED and captured.client == globex
    assert CaptureDomain.objects.filter(domain="globex.example", client=globex).exists()
    client.force_login(am_bob)
    assert "Renewal questions" not in client.get(reverse("capture:to_file")).content.decode()


def test_marking_a_thread_private_hides_it_from_teammates(client, acme, am_alice, am_bob):
    from capture.services import message_capture

    captured = message_capture(raw=message(), source="imap").message
    client.force_login(am_bob)
    assert client.get(reverse("capture:message", args=[captured.pk])).status_code == 200
    client.force_login(am_alice)
    assert client.post(reverse("capture:thread_private", args=[captured.pk]), {"private": "on"}).status_code == 302
    client.force_login(am_bob)
    assert client.get(reverse("capture:message", args=[captured.pk])).status_code == 404
