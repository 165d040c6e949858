"""Invoices and documents: services, pages, API; files through the storage API, checked per object like the
client; size and content limits as field errors; the chase lists (overdue, awaiting signature)."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contracts import files, selectors, services
from contracts.demo import demo_pdf
from contracts.models import Document, Invoice, InvoiceStatus, SignatureStatus
from core.errors import ApplicationError, NotAllowedError
from tests.factories import ClientFactory

TODAY = dt.date(2026, 12, 3)
PDF = demo_pdf("Act 2026-11")


@pytest.fixture
def contract(alice_client, am_alice):
    return services.contract_create(
        by=am_alice, client=alice_client, today=TODAY, number="C-1", start_date=dt.date(2026, 1, 1),
        term_months=12, value=Decimal("12000"), currency="USD", status="active",
    )  # fmt: skip


@pytest.fixture
def oscar_client(am_oscar):
    return ClientFactory(owner=am_oscar, team=am_oscar.team, status="active")


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


# --- content sniffing ----------------------------------------------------------------------------


def test_sniffing_reads_the_content_not_the_name():
    assert files.sniff(PDF, "act.pdf").extension_matches
    assert files.sniff(_docx(), "Agreement.DOCX").content_type.endswith("wordprocessingml.document")
    lying = files.sniff(b"MZ\x90\x00 an executable", "invoice.pdf")
    assert lying.content_type is None and not lying.extension_matches
    renamed = files.sniff(PDF, "photo.png")
    assert renamed.content_type == "application/pdf" and not renamed.extension_matches
    assert files.sniff(b"PK\x03\x04broken zip", "x.docx").content_type is None


def test_safe_download_names():
    assert files.safe_download_name("../../etc/passwd") == "passwd"
    assert files.safe_download_name('C:\\Users\\a\\"evil";\r\nname.pdf') == "_evil__name.pdf"
    assert files.safe_download_name("Акт за ноябрь.pdf") == "Акт за ноябрь.pdf"
    assert files.safe_download_name("\x00\x01") == "document"


# --- invoices ------------------------------------------------------------------------------------


def test_invoice_status_follows_its_dates(am_alice, alice_client, contract):
    invoice = services.invoice_create(
        by=am_alice, client=alice_client, today=TODAY, number="INV-1", contract=contract, amount=Decimal("3000"),
        status=InvoiceStatus.ISSUED, issued_on=TODAY - dt.timedelta(days=45),
    )  # fmt: skip
    # Due 30 days after the issue by default, the contract's currency, overdue since its due date passed.
    assert (invoice.currency, invoice.due_on, invoice.status) == ("USD", TODAY - dt.timedelta(days=15), "overdue")
    invoice = services.invoice_update(
        invoice=invoice, by=am_alice, expected_version=invoice.version, today=TODAY, paid_on=TODAY
    )
    assert invoice.status == InvoiceStatus.PAID
    with pytest.raises(ApplicationError) as bad:
        services.invoice_create(
            by=am_alice, client=alice_client, today=TODAY, number="INV-2", amount=Decimal("1"),
            issued_on=TODAY, due_on=TODAY - dt.timedelta(days=1), status="issued", currency="EUR",
        )  # fmt: skip
    assert bad.value.field == "due_on"
    assert not Invoice.objects.filter(number="INV-2").exists()


def test_marking_overdue_is_idempotent(am_alice, alice_client):
    services.invoice_create(
        by=am_alice, client=alice_client, today=TODAY, number="INV-1", amount=Decimal("10"), currency="EUR",
        status="issued", issued_on=TODAY, due_on=TODAY + dt.timedelta(days=2),
    )  # fmt: skip
    later = TODAY + dt.timedelta(days=5)
    assert services.invoices_mark_overdue(today=TODAY) == 0
    assert services.invoices_mark_overdue(today=later) == 1
    assert services.invoices_mark_overdue(today=later) == 0
    assert Invoice.objects.get().status == InvoiceStatus.OVERDUE


def test_teammate_reads_but_cannot_change_invoices(am_bob, alice_client):
    with pytest.raises(NotAllowedError):
        services.invoice_create(by=am_bob, client=alice_client, today=TODAY, number="X", amount=Decimal("1"))


def test_invoice_pages_filters_and_field_errors(client, am_alice, alice_client, contract, am_oscar, oscar_client):
    today = timezone.localdate()
    for number, status, issued in [("INV-PAID", "paid", 60), ("INV-LATE", "issued", 50), ("INV-NEW", "issued", 1)]:
        services.invoice_create(
            by=am_alice, client=alice_client, today=today, number=number, amount=Decimal("100"), currency="EUR",
            status=status, issued_on=today - dt.timedelta(days=issued),
            paid_on=today - dt.timedelta(days=30) if status == "paid" else None,
        )  # fmt: skip
    services.invoice_create(
        by=am_oscar, client=oscar_client, today=today, number="INV-OSCAR", amount=Decimal("5"), currency="EUR"
    )
    client.force_login(am_alice)
    page = client.get(reverse("contracts:invoices"), {"overdue": "on"}).content.decode()
    assert "INV-LATE" in page and "INV-NEW" not in page and "INV-PAID" not in page and "INV-OSCAR" not in page
    page = client.get(reverse("contracts:invoices"), {"status": "paid", "sort": "-amount"}).content.decode()
    assert "INV-PAID" in page and "INV-LATE" not in page
    assert client.get(reverse("contracts:invoices"), {"status": "nonsense", "page": "x"}).status_code == 200
    url = reverse("contracts:invoice_create", args=[alice_client.pk])
    bad = client.post(url, {"number": "INV-9", "status": "issued", "amount": "5", "currency": "EUR",
                            "issued_on": "2026-05-02", "due_on": "2026-05-01"})  # fmt: skip
    assert bad.status_code == 200 and "cannot come before the issue date" in bad.content.decode()
    bad = client.post(url, {"number": "INV-9", "status": "draft", "amount": "-5", "currency": "EURO"})
    assert bad.status_code == 200 and not Invoice.objects.filter(number="INV-9").exists()
    ok = client.post(url, {"number": "INV-9", "status": "draft", "amount": "5", "currency": "eur"})
    assert ok.status_code == 302
    oscar_invoice = Invoice.objects.get(number="INV-OSCAR")
    assert client.get(reverse("contracts:invoice_edit", args=[oscar_invoice.pk])).status_code == 404


def test_invoice_list_costs_constant_queries(client, am_alice, alice_client, django_assert_max_num_queries):
    client.force_login(am_alice)
    for n in range(12):
        services.invoice_create(
            by=am_alice, client=alice_client, today=TODAY, number=f"I-{n}", amount=Decimal(n), currency="USD"
        )
    with django_assert_max_num_queries(12):
        assert client.get(reverse("contracts:invoices")).status_code == 200


# --- documents -----------------------------------------------------------------------------------


def _upload(user, client_obj, data=PDF, name="act.pdf", **fields):
    return services.document_upload(
        by=user, client=client_obj, today=TODAY, upload=ContentFile(data, name=name), **fields
    )


def test_upload_stores_under_a_random_name_and_checks_content(am_alice, alice_client, contract, settings):
    document = _upload(am_alice, alice_client, contract=contract, kind="closing", signature="awaiting")
    assert document.file.name.startswith(f"documents/{alice_client.pk}/") and "act" not in document.file.name
    assert default_storage.exists(document.file.name)
    assert (document.content_type, document.size, document.awaiting_since) == ("application/pdf", len(PDF), TODAY)
    with pytest.raises(ApplicationError, match="content is not") as lying:
        _upload(am_alice, alice_client, data=PDF, name="photo.png")
    assert lying.value.field == "file"
    with pytest.raises(ApplicationError, match="not accepted"):
        _upload(am_alice, alice_client, data=b"#!/bin/sh\nrm -rf /\n", name="run.pdf")
    settings.DOCUMENT_MAX_BYTES = 100
    with pytest.raises(ApplicationError, match="larger than"):
        _upload(am_alice, alice_client)
    assert Document.objects.count() == 1


def test_signature_state(am_alice, alice_client):
    document = _upload(am_alice, alice_client, signature="awaiting", awaiting_since=TODAY - dt.timedelta(days=9))
    waiting = selectors.documents_for_user(user=am_alice, awaiting_days=7, today=TODAY)
    assert list(waiting) == [document]
    signed = services.document_update(
        document=document, by=am_alice, expected_version=document.version, today=TODAY, signature="signed"
    )
    assert (signed.signature, signed.signed_on) == (SignatureStatus.SIGNED, TODAY)
    assert not selectors.documents_for_user(user=am_alice, signature="awaiting").exists()


def test_download_is_checked_per_object(client, am_alice, am_bob, am_oscar, sales_sam, admin_ada, alice_client):
    document = _upload(am_alice, alice_client, name='../Акт "ноябрь".pdf')
    url = reverse("contracts:document_download", args=[document.pk])
    for user, status in [(am_alice, 200), (am_bob, 200), (admin_ada, 200), (am_oscar, 404)]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert b"".join(response.streaming_content) == PDF
            assert response["Content-Type"] == "application/pdf"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Disposition"].startswith("attachment;")
            assert "filename*=utf-8''" in response["Content-Disposition"] and "/" not in response["Content-Disposition"]
    client.force_login(am_oscar)
    assert client.get(reverse("contracts:document_download", args=[document.pk + 999])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    # No public URL: the stored path is not served.
    client.force_login(am_alice)
    assert client.get(f"/media/{document.file.name}").status_code == 404


def test_upload_page_field_errors_and_delete_with_confirmation(client, am_alice, am_bob, alice_client):
    client.force_login(am_alice)
    url = reverse("contracts:document_upload", args=[alice_client.pk])
    lying = SimpleUploadedFile("invoice.pdf", b"GIF89a not a pdf", content_type="application/pdf")
    response = client.post(url, {"kind": "invoice", "signature": "not_needed", "file": lying})
    assert response.status_code == 200 and "not accepted" in response.content.decode()
    response = client.post(url, {"kind": "invoice", "signature": "not_needed"})
    assert response.status_code == 200 and Document.objects.count() == 0
    good = SimpleUploadedFile("Act.pdf", PDF, content_type="application/octet-stream")
    response = client.post(url, {"kind": "closing", "signature": "awaiting", "file": good})
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.title == "Act"
    page = client.get(reverse("contracts:documents"), {"signature": "awaiting"}).content.decode()
    assert "Act" in page and "Mark signed" in page
    client.force_login(am_bob)  # a teammate reads, but cannot delete
    assert client.post(reverse("contracts:document_delete", args=[document.pk])).status_code == 403
    client.force_login(am_alice)
    confirm = client.get(reverse("contracts:document_delete", args=[document.pk]))
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    response = client.post(reverse("contracts:document_delete", args=[document.pk]))
    assert response.status_code == 302 and not Document.objects.exists()


def test_sign_from_the_chase_list(client, am_alice, alice_client):
    document = _upload(am_alice, alice_client, signature="awaiting")
    client.force_login(am_alice)
    stale = client.post(reverse("contracts:document_sign", args=[document.pk]), {"version": "99"})
    assert stale.status_code == 302
    document.refresh_from_db()
    assert document.signature == "awaiting"
    client.post(reverse("contracts:document_sign", args=[document.pk]), {"version": str(document.version)})
    document.refresh_from_db()
    assert document.signature == "signed"


def test_client_page_panel_and_timeline(client, am_alice, alice_client):
    services.invoice_create(
        by=am_alice, client=alice_client, today=TODAY, number="INV-77", amount=Decimal("10"), currency="EUR"
    )
    _upload(am_alice, alice_client, title="Signed MSA", kind="contract")
    client.force_login(am_alice)
    page = client.get(reverse("clients:detail", args=[alice_client.pk])).content.decode()
    assert "INV-77" in page and "Signed MSA" in page
    timeline = client.get(reverse("clients:detail", args=[alice_client.pk]), {"kind": "document"})
    assert timeline.status_code == 200


# --- API -----------------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_api_invoices(api, am_alice, alice_client, contract, am_oscar, oscar_client):
    api.force_authenticate(am_alice)
    created = api.post(
        "/api/v1/invoices/",
        {
            "number": "API-1",
            "client": alice_client.pk,
            "contract": contract.pk,
            "amount": "250.00",
            "status": "issued",
            "issued_on": "2026-01-01",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["currency"] == "USD" and created.json()["status"] == "overdue"
    refused = api.post("/api/v1/invoices/", {"number": "API-2", "client": oscar_client.pk, "amount": "1"})
    assert refused.status_code == 400
    wrong_dates = {"issued_on": "2026-02-02", "due_on": "2026-02-01", "status": "issued"}
    bad = api.post("/api/v1/invoices/", {"number": "API-3", "client": alice_client.pk, "amount": "1", **wrong_dates})
    assert bad.status_code == 400 and "due_on" in bad.json()["error"]["fields"]
    listed = api.get("/api/v1/invoices/", {"overdue": "true"}).json()
    assert [row["number"] for row in listed["results"]] == ["API-1"]
    stale = api.patch(f"/api/v1/invoices/{created.json()['id']}/", {"status": "paid"}, format="json")
    assert stale.status_code == 400  # the version is required


def test_api_documents(api, am_alice, am_oscar, alice_client, django_capture_on_commit_callbacks):
    api.force_authenticate(am_alice)
    upload = SimpleUploadedFile("act.pdf", PDF, content_type="application/pdf")
    created = api.post(
        "/api/v1/documents/",
        {"client": alice_client.pk, "kind": "closing", "signature": "awaiting", "file": upload},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["content_type"] == "application/pdf" and "file" not in body
    download = api.get(body["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    lying = SimpleUploadedFile("act.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
    refused = api.post("/api/v1/documents/", {"client": alice_client.pk, "file": lying}, format="multipart")
    assert refused.status_code == 400 and "file" in str(refused.json())
    api.force_authenticate(am_oscar)
    assert api.get(body["download_url"]).status_code == 404
    assert api.get(f"/api/v1/documents/{body['id']}/").status_code == 404
    api.force_authenticate(am_alice)
    name = Document.objects.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/documents/{body['id']}/").status_code == 204
    assert not default_storage.exists(name)


def test_openapi_schema_has_the_new_endpoints(api, admin_ada):
    api.force_authenticate(admin_ada)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/invoices/" in schema["paths"] and "/api/v1/documents/{id}/download/" in schema["paths"]
