"""Attachments of mail filed to a client are kept as its documents, with the documents' checks; a refused file
stays listed with the reason; a private thread keeps its files out of the team's documents."""

from __future__ import annotations

import pytest
from django.urls import reverse

from capture import services
from capture.models import CaptureSource
from capture.tests.mail import message
from contracts.models import Document
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def acme(am_alice):
    client = ClientFactory(name="ACME Freight", owner=am_alice, team=am_alice.team)
    ContactFactory(client=client, first_name="Dora", email="dora@acme.example")
    return client


def test_an_accepted_file_becomes_the_clients_document_and_a_refused_one_says_why(client, acme, am_alice, am_oscar):
    raw = message(
        subject="Signed act",
        attachments=(("act-2026-10.pdf", "application/pdf", PDF), ("setup.exe", "application/octet-stream", b"MZ\x90")),
    )
    captured = services.message_capture(raw=raw, source=CaptureSource.INBOUND).message
    document = Document.objects.get(client=acme)
    assert (document.original_name, document.content_type, document.size) == (
        "act-2026-10.pdf",
        "application/pdf",
        len(PDF),
    )
    pdf, exe = captured.attachments
    assert pdf["kept"] is True and pdf["document"] == document.pk
    assert exe["kept"] is False and "not accepted" in exe["why"]

    client.force_login(am_alice)
    page = client.get(reverse("capture:message", args=[captured.pk])).content.decode()
    assert reverse("contracts:document_download", args=[document.pk]) in page and "not kept:" in page
    assert b"".join(client.get(reverse("contracts:document_download", args=[document.pk])).streaming_content) == PDF
    client.force_login(am_oscar)  # another team: the document is not theirs to see, as for any document
    assert client.get(reverse("contracts:document_download", args=[document.pk])).status_code == 404


def test_a_private_threads_files_stay_out_of_the_clients_documents(acme, am_alice):
    first = services.message_capture(raw=message(message_id="<p1@acme.example>"), source=CaptureSource.INBOUND).message
    services.thread_set_private(message=first, by=am_alice)
    reply = message(
        message_id="<p2@acme.example>", in_reply_to="<p1@acme.example>", references="<p1@acme.example>",
        attachments=(("salary-review.pdf", "application/pdf", PDF),),
    )  # fmt: skip
    captured = services.message_capture(raw=reply, source=CaptureSource.INBOUND).message
    assert captured.client == acme
    assert not Document.objects.exists()
    assert captured.attachments[0]["name"] == "salary-review.pdf" and "kept" not in captured.attachments[0]
