"""Demo paperwork: a few invoices (paid, issued, overdue) and documents (a signed contract, an act awaiting its
signature, an invoice PDF) for the demo clients that have contracts. Written through the services."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile

from contracts import services
from contracts.models import Contract, DocumentKind, InvoiceStatus, SignatureStatus


def demo_pdf(title: str) -> bytes:
    """A minimal valid one-page PDF saying ``title`` (ASCII)."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\nstartxref\n"
    return out + str(xref).encode() + b"\n%%EOF\n"


def seed_paperwork(*, today: dt.date, seed: int = 42, limit: int = 30) -> int:
    """Invoices and documents for up to ``limit`` clients with contracts; returns how many invoices."""
    rng = random.Random(seed)
    contracts = (
        Contract.objects.filter(client__owner__isnull=False, client__archived_at__isnull=True)
        .select_related("client", "client__owner")
        .order_by("pk")[:limit]
    )
    made = 0
    for contract in contracts:
        client, owner = contract.client, contract.client.owner
        quarterly = (contract.value / contract.term_months * 3).quantize(Decimal("0.01"))
        plans = [
            (today - dt.timedelta(days=100), InvoiceStatus.PAID, today - dt.timedelta(days=75)),
            (today - dt.timedelta(days=rng.randint(40, 60)), InvoiceStatus.ISSUED, None),  # overdue by now
            (today - dt.timedelta(days=rng.randint(1, 10)), InvoiceStatus.ISSUED, None),
        ]
        for index, (issued, status, paid) in enumerate(plans, start=1):
            invoice = services.invoice_create(
                by=owner, client=client, today=today, number=f"INV-{contract.number}-{index}", contract=contract,
                issued_on=issued, due_on=issued + dt.timedelta(days=30), paid_on=paid, amount=quarterly,
                currency=contract.currency, status=status,
            )  # fmt: skip
            made += 1
            if index == 2:
                services.document_upload(
                    by=owner, client=client, today=today, invoice=invoice, kind=DocumentKind.INVOICE,
                    upload=ContentFile(demo_pdf(f"Invoice {invoice.number}"), name=f"{invoice.number}.pdf"),
                )  # fmt: skip
        services.document_upload(
            by=owner, client=client, today=today, contract=contract, kind=DocumentKind.SIGNED_CONTRACT,
            title=f"Contract {contract.number}", signature=SignatureStatus.SIGNED, signed_on=contract.start_date,
            upload=ContentFile(demo_pdf(f"Contract {contract.number}"), name=f"contract-{contract.number}.pdf"),
        )  # fmt: skip
        period_end = today.replace(day=1) - dt.timedelta(days=1)
        services.document_upload(
            by=owner, client=client, today=today, contract=contract, kind=DocumentKind.CLOSING,
            title=f"Act {period_end:%Y-%m} {contract.number}", period_start=period_end.replace(day=1),
            period_end=period_end, signature=SignatureStatus.AWAITING,
            awaiting_since=today - dt.timedelta(days=rng.randint(3, 45)),
            upload=ContentFile(demo_pdf(f"Act {period_end:%Y-%m}"), name=f"act-{period_end:%Y-%m}.pdf"),
        )  # fmt: skip
    services.invoices_mark_overdue(today=today)
    return made
