"""Timeline entries owned by the contracts app: invoices issued and paid, documents uploaded and signed."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from clients.models import Client
from clients.timeline import TimelineEntry, TimelineProvider
from contracts import selectors
from core.formats import format_amount, format_day
from users.models import User


def _invoices(client: Client, user: User):
    return selectors.invoice_queryset_for_user(user=user).filter(client=client)


def _invoice_count(client: Client, user: User, kinds: set[str]) -> int:
    return _invoices(client, user).count()


def _invoice_newest(client: Client, user: User, kinds: set[str], limit: int):
    for invoice in _invoices(client, user).order_by("-created_at", "-pk")[:limit]:
        body = _("%(amount)s %(currency)s, due %(due)s") % {
            "amount": format_amount(invoice.amount, decimals=2),
            "currency": invoice.currency,
            "due": format_day(invoice.due_on),
        }
        if invoice.paid_on:
            body += " · " + _("paid %(day)s") % {"day": format_day(invoice.paid_on)}
        yield TimelineEntry(
            at=invoice.created_at,
            kind="invoice",
            title=_("Invoice %(number)s") % {"number": invoice.number},
            body=body,
            actor=str(invoice.created_by or ""),
            url=reverse("contracts:invoice_edit", args=[invoice.pk]),
            badges=(invoice.get_status_display(),),
            extra={"invoice_id": invoice.pk, "status": invoice.status},
        )


def _documents(client: Client, user: User):
    return selectors.document_queryset_for_user(user=user).filter(client=client)


def _document_count(client: Client, user: User, kinds: set[str]) -> int:
    return _documents(client, user).count()


def _document_newest(client: Client, user: User, kinds: set[str], limit: int):
    for document in _documents(client, user).order_by("-created_at", "-pk")[:limit]:
        body = document.get_kind_display()
        if document.signed_on:
            body += " · " + _("signed %(day)s") % {"day": format_day(document.signed_on)}
        yield TimelineEntry(
            at=document.created_at,
            kind="document",
            title=_("Document: %(title)s") % {"title": document.title},
            body=body,
            actor=str(document.uploaded_by or ""),
            url=reverse("contracts:document_edit", args=[document.pk]),
            badges=(document.get_signature_display(),),
            extra={"document_id": document.pk, "signature": document.signature},
        )


def providers() -> list[TimelineProvider]:
    return [
        TimelineProvider(kinds=("invoice",), count=_invoice_count, newest=_invoice_newest),
        TimelineProvider(kinds=("document",), count=_document_count, newest=_document_newest),
    ]
