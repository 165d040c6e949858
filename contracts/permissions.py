"""Access helpers for contracts and renewals: they follow their client. Not found and forbidden both 404."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from clients.models import Client
from clients.permissions import client_can_edit
from contracts.models import Contract, Document, Invoice, Renewal
from users import permissions as rules
from users.models import User


def contract_get_for_user(*, user: User, pk: int) -> Contract:
    """The contract if ``user`` may see its client; otherwise 404 (whether it exists or not)."""
    contract = (
        Contract.objects.filter(rules.portfolio_q(user, prefix="client__"), pk=pk)
        .select_related("client", "client__owner", "client__team", "client__sales_owner")
        .first()
    )
    if contract is None:
        raise Http404(_("No such contract."))
    return contract


def contract_can_edit_client(*, user: User, client: Client) -> bool:
    """Who may change the client's record may add and change its contracts (sales reads them)."""
    return rules.can_manage_contracts(user) and client_can_edit(user=user, client=client)


def contract_can_edit(*, user: User, contract: Contract) -> bool:
    return contract_can_edit_client(user=user, client=contract.client)


def renewal_get_for_user(*, user: User, pk: int) -> Renewal:
    renewal = (
        Renewal.objects.filter(rules.portfolio_q(user, prefix="client__"), pk=pk)
        .select_related("contract", "client", "client__owner", "client__team")
        .first()
    )
    if renewal is None:
        raise Http404(_("No such renewal."))
    return renewal


def renewal_can_edit(*, user: User, renewal: Renewal) -> bool:
    return contract_can_edit_client(user=user, client=renewal.client)


def invoice_get_for_user(*, user: User, pk: int) -> Invoice:
    invoice = (
        Invoice.objects.filter(rules.portfolio_q(user, prefix="client__"), pk=pk)
        .select_related("client", "client__owner", "client__team", "contract")
        .first()
    )
    if invoice is None:
        raise Http404(_("No such invoice."))
    return invoice


def document_get_for_user(*, user: User, pk: int) -> Document:
    """The document if ``user`` may see its client; otherwise 404 (a download checks exactly this)."""
    document = (
        Document.objects.filter(rules.portfolio_q(user, prefix="client__"), pk=pk)
        .select_related("client", "client__owner", "client__team", "contract", "invoice")
        .first()
    )
    if document is None:
        raise Http404(_("No such document."))
    return document
