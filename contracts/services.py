"""Every write to contracts, renewals and exchange rates; keeps the client's derived revenue fields."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import services as client_services
from clients.models import ChurnReason, Client, ClientStatus, DealKind, Handoff
from clients.notices import client_figures
from contracts import files, selectors
from contracts.models import (
    BINDING_STATUSES,
    CLOSED_STAGES,
    UNPAID_STATUSES,
    Contract,
    ContractKind,
    ContractStatus,
    Document,
    DocumentKind,
    ExchangeRate,
    Invoice,
    InvoiceStatus,
    Renewal,
    RenewalStage,
    SignatureStatus,
)
from contracts.permissions import contract_can_edit, contract_can_edit_client, renewal_can_edit
from core import events
from core.errors import ApplicationError, NotAllowedError
from core.locking import lock_for_update, save_audited
from notifications.services import EmittedEvent, webhooks_emit
from notifications.webhooks import WebhookEvent
from users import permissions as rules
from users.models import User

CONTRACT_EDITABLE_FIELDS = {
    "number",
    "kind",
    "start_date",
    "end_date",
    "term_months",
    "value",
    "currency",
    "billing_period",
    "auto_renew",
    "notice_period_days",
    "status",
    "signed_on",
    "terminated_on",
    "notes",
}
RENEWAL_EDITABLE_FIELDS = {
    "stage",
    "forecast_call",
    "forecast_amount",
    "new_value",
    "churn_reason",
    "churn_category",
    "notes",
}
# Published inside renewal_update's transaction: flags recomputes the renewal's likelihood (the AM's call changed).
RENEWAL_CHANGED = "contracts.renewal_changed"
# Published (inside the transaction) when an invoice or a document of a client changed, so what depends on its
# billing (the billing flags) can settle at once. Payload: ``client_id``, ``by``, ``today``.
BILLING_CHANGED = "contracts.billing_changed"
DERIVED_CLIENT_FIELDS = {"arr", "currency", "contract_start", "renewal_date"}


def _save(instance: Model, *, by: User | None) -> None:
    instance.full_clean(exclude=["client", "contract", "created_by", "handoff"])
    try:
        save_audited(instance, by=by)
    except IntegrityError as exc:
        raise ApplicationError(_("This change conflicts with another record (a duplicate number?).")) from exc


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def term_end(start: dt.date, term_months: int) -> dt.date:
    """The last day of a term of ``term_months`` starting on ``start`` (12 months from 1 Jan ends 31 Dec)."""
    return add_months(start, term_months) - dt.timedelta(days=1)


# --- exchange rates ------------------------------------------------------------------------------


def _currency(value: str, *, field: str = "currency") -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ApplicationError(_("Use a 3-letter ISO currency code, e.g. EUR."), field=field)
    return code


@transaction.atomic
def exchange_rate_set(*, by: User, currency: str, date: dt.date, rate: Decimal) -> tuple[ExchangeRate, str]:
    """Record (or correct) the rate of one currency on one day: returns (rate, "created"/"updated"/"unchanged")."""
    if not rules.can_load_exchange_rates(by):
        raise NotAllowedError(_("Only admins load exchange rates."))
    code = _currency(currency)
    if code == settings.BASE_CURRENCY:
        raise ApplicationError(
            _("%(code)s is the base currency: its rate is always 1.") % {"code": code}, field="currency"
        )
    rate = Decimal(rate)
    if rate <= 0:
        raise ApplicationError(_("A rate must be more than zero."), field="rate")
    existing = ExchangeRate.objects.select_for_update().filter(currency=code, date=date).first()
    if existing is not None:
        if existing.rate == rate:
            return existing, "unchanged"
        existing.rate = rate
        _save(existing, by=by)
        return existing, "updated"
    row = ExchangeRate(currency=code, date=date, rate=rate, created_by=by)
    _save(row, by=by)
    return row, "created"


# --- contracts -----------------------------------------------------------------------------------


def _check_contract(contract: Contract) -> None:
    contract.currency = _currency(contract.currency)
    contract.number = (contract.number or "").strip()
    if not contract.number:
        raise ApplicationError(_("Give the contract a number."), field="number")
    if contract.end_date and contract.start_date and contract.end_date < contract.start_date:
        raise ApplicationError(_("The contract cannot end before it starts."), field="end_date")
    if contract.value is not None and contract.value < 0:
        raise ApplicationError(
            _("The value must be zero or more (a downsell's value is the reduction)."), field="value"
        )
    if contract.status in {ContractStatus.SIGNED, ContractStatus.ACTIVE} and contract.signed_on is None:
        contract.signed_on = contract.start_date
    if contract.status == ContractStatus.TERMINATED and contract.terminated_on is None:
        raise ApplicationError(_("Say when the contract was terminated."), field="terminated_on")


@transaction.atomic
def contract_create(*, by: User, client: Client, today: dt.date, **fields: Any) -> Contract:
    if not contract_can_edit_client(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not change its contracts."))
    unknown = set(fields) - CONTRACT_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown contract fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    contract = Contract(client=client, created_by=by, **fields)
    if contract.start_date and contract.term_months and not contract.end_date:
        contract.end_date = term_end(contract.start_date, contract.term_months)
    _check_contract(contract)
    _save(contract, by=by)
    client_revenue_recompute(client=client, by=by, today=today)
    return contract


@transaction.atomic
def contract_update(
    *, contract: Contract, by: User, expected_version: int | None, today: dt.date, **changes: Any
) -> Contract:
    if not contract_can_edit(user=by, contract=contract):
        raise NotAllowedError(_("You can view this contract but not change it."))
    unknown = set(changes) - CONTRACT_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown contract fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = lock_for_update(
        Contract.objects.select_related("client"),
        contract.pk,
        expected_version,
        allowed=lambda row: contract_can_edit(user=by, contract=row),
        refusal=_("You can view this contract but not change it."),
    )
    for key, value in changes.items():
        setattr(current, key, value)
    _check_contract(current)
    current.version += 1
    _save(current, by=by)
    client_revenue_recompute(client=current.client, by=by, today=today)
    return current


def derived_client_fields(client: Client) -> set[str]:
    """The client fields this app keeps (registered with clients.derived): all of them once it has contracts."""
    has_contracts = Contract.objects.filter(client_id=client.pk, status__in=BINDING_STATUSES).exists()
    return set(DERIVED_CLIENT_FIELDS) if has_contracts else set()


@transaction.atomic
def client_revenue_recompute(*, client: Client, by: User | None, today: dt.date) -> Client:
    """Keep Client.arr/currency/contract_start/renewal_date equal to what the client's contracts say."""
    current = Client.objects.select_for_update().get(pk=client.pk)
    revenue = selectors.client_revenue(client=current, today=today)
    if revenue is None:
        return current
    values = {
        "arr": revenue.arr_amount,
        "currency": revenue.currency,
        "contract_start": revenue.contract_start,
        "renewal_date": revenue.renewal_date,
    }
    changed = {key: value for key, value in values.items() if getattr(current, key) != value}
    if changed:
        # A denormalised fact like last_contact_at / last_review_on: kept with a plain update (no version bump,
        # the client form shows these fields read-only); their history is the contracts' own history.
        Client.objects.filter(pk=current.pk).update(**changed)
    for key, value in values.items():
        setattr(current, key, value)
        setattr(client, key, value)
    return current


def contract_from_handoff(*, handoff: Handoff, by: User, today: dt.date | None = None) -> Contract | None:
    """Subscriber of clients.handoff_accepted: the accepted deal becomes the client's first contract (an
    expansion deal, an upsell contract). Runs in the acceptance's transaction; a second call is a no-op."""
    if handoff.deal_amount is None or Contract.objects.filter(handoff=handoff).exists():
        return None
    today = today or timezone.localdate()
    start = handoff.close_date or today
    client = Client.objects.get(pk=handoff.client_id)
    # A client whose ARR was typed before it had contracts keeps it: the deal's contract waits as a draft
    # until the AM confirms it (activating it makes ARR and the renewal date derived from then on).
    typed_before = handoff.kind == DealKind.NEW and not client.contracts.exists() and _typed_revenue(client, handoff)
    kind = ContractKind.UPSELL if handoff.kind == DealKind.EXPANSION else ContractKind.NEW
    number = f"DEAL-{handoff.deal_external_id or handoff.pk}"[:64]
    if Contract.objects.filter(number=number).exists():
        number = f"DEAL-{handoff.pk}-{handoff.deal_external_id or ''}"[:64]
    contract = Contract(
        client_id=handoff.client_id,
        number=number,
        kind=kind,
        start_date=start,
        end_date=term_end(start, 12),
        term_months=12,
        value=handoff.deal_amount,
        currency=handoff.currency,
        status=ContractStatus.DRAFT if typed_before else ContractStatus.ACTIVE,
        signed_on=None if typed_before else (handoff.close_date or today),
        handoff=handoff,
        created_by=by,
        notes=handoff.deal_name,
    )
    _check_contract(contract)
    _save(contract, by=by)
    client_revenue_recompute(client=handoff.client, by=by, today=today)
    return contract


def _typed_revenue(client: Client, handoff: Handoff) -> bool:
    """True when the client's ARR was typed by hand rather than taken from this deal on acceptance."""
    return bool(client.arr) and not (client.arr == handoff.deal_amount and client.currency == handoff.currency)


@transaction.atomic
def contracts_expire(*, today: dt.date) -> int:
    """Active or signed contracts whose end has passed become expired; their clients' figures follow."""
    ended = list(
        Contract.objects.select_for_update().filter(
            status__in=[ContractStatus.ACTIVE, ContractStatus.SIGNED], end_date__lt=today
        )
    )
    for contract in ended:
        contract.status = ContractStatus.EXPIRED
        contract.version += 1
        save_audited(contract, by=None, update_fields=["status", "version", "updated_at"])
    for client_id in sorted({c.client_id for c in ended}):
        client_revenue_recompute(client=Client(pk=client_id), by=None, today=today)
    return len(ended)


# --- renewals ------------------------------------------------------------------------------------


@transaction.atomic
def renewals_open_due(*, today: dt.date, horizon_days: int | None = None) -> int:
    """Open a renewal for each agreed contract ending within the horizon that has none yet (idempotent)."""
    horizon = settings.RENEWAL_HORIZON_DAYS if horizon_days is None else horizon_days
    due = (
        Contract.objects.filter(
            status__in=[ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.EXPIRED],
            end_date__lte=today + dt.timedelta(days=horizon),
            renewal__isnull=True,
            client__archived_at__isnull=True,
        )
        .exclude(kind__in=[ContractKind.AMENDMENT])
        .order_by("pk")
    )
    created = 0
    for contract in due:
        _, made = Renewal.objects.get_or_create(
            contract=contract, defaults={"client_id": contract.client_id, "due_on": contract.end_date}
        )
        created += made
    return created


@transaction.atomic
def renewal_update(
    *, renewal: Renewal, by: User, expected_version: int | None, today: dt.date, **changes: Any
) -> Renewal:
    """The AM's stage, forecast call and amount; moving to renewed / downsold / churned records the outcome."""
    if not renewal_can_edit(user=by, renewal=renewal):
        raise NotAllowedError(_("You can view this renewal but not change it."))
    unknown = set(changes) - RENEWAL_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown renewal fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = lock_for_update(
        Renewal.objects.select_related("contract", "client"),
        renewal.pk,
        expected_version,
        allowed=lambda row: renewal_can_edit(user=by, renewal=row),
        refusal=_("You can view this renewal but not change it."),
    )
    was_closed = current.stage in CLOSED_STAGES
    previous_stage = current.stage
    for key, value in changes.items():
        setattr(current, key, value)
    if current.stage == RenewalStage.CHURNED:
        current.churn_reason = (current.churn_reason or "").strip()
        if not current.churn_reason:
            raise ApplicationError(_("Say why the client churned."), field="churn_reason")
        current.new_value = None
        current.churn_category = current.churn_category or ChurnReason.OTHER
    elif current.stage == RenewalStage.DOWNSOLD:
        if current.new_value is None:
            raise ApplicationError(_("Give the new (lower) value of the downsold renewal."), field="new_value")
        if current.new_value >= current.contract.value:
            raise ApplicationError(_("A downsell's new value is below the contract's value."), field="new_value")
    elif current.stage == RenewalStage.RENEWED and current.new_value is None:
        current.new_value = current.contract.value
    if current.stage in CLOSED_STAGES:
        current.closed_on = current.closed_on if was_closed else today
    else:
        current.closed_on = None
    if current.stage != RenewalStage.CHURNED:
        current.churn_category = ""
    current.version += 1
    _save(current, by=by)
    client = client_revenue_recompute(client=current.client, by=by, today=today)
    if current.stage == RenewalStage.CHURNED and not was_closed:
        _churn_client(renewal=current, by=by, today=today)
    events.publish(RENEWAL_CHANGED, renewal_id=current.pk, today=today)
    if current.stage != previous_stage:
        _renewal_stage_emit(current, client=client, previous=previous_stage, by=by)
    return current


def _churn_client(*, renewal: Renewal, by: User, today: dt.date) -> None:
    """A churned renewal is the client's churn (the lifecycle event, with the reason) unless another agreed
    contract keeps it a client past this one's end."""
    client = renewal.client
    if client.status == ClientStatus.CHURNED:
        return
    others = (
        Contract.objects.filter(client=client, status__in=BINDING_STATUSES, end_date__gt=renewal.contract.end_date)
        .exclude(pk=renewal.contract_id)
        .exclude(terminated_on__isnull=False)
    )
    if others.exists():
        return
    client_services.client_status_change(
        client=client,
        by=by,
        status=ClientStatus.CHURNED,
        churn_reason=renewal.churn_category or ChurnReason.OTHER,
        reason=renewal.churn_reason,
        today=today,
    )


# The stages a card can be moved to on the board without more input (churned needs a reason, downsold a value).
BOARD_MOVES = [stage for stage in RenewalStage if stage not in {RenewalStage.CHURNED, RenewalStage.DOWNSOLD}]


@transaction.atomic
def renewal_stage_move(
    *, renewal: Renewal, by: User, stage: str, expected_version: int | None, today: dt.date
) -> Renewal:
    """The renewals board's move: one stage change under the optimistic lock (a stale card is refused)."""
    if stage not in RenewalStage.values:
        raise ApplicationError(_("Choose a stage."), field="stage")
    if expected_version is None:
        raise ApplicationError(_("This form is out of date; reload the page."), field="version")
    return renewal_update(renewal=renewal, by=by, expected_version=expected_version, today=today, stage=stage)




def _renewal_stage_emit(renewal: Renewal, *, client: Client, previous: str, by: User) -> None:
    """The webhook event ``renewal.stage_changed`` (names and figures captured now; sent by its own task)."""
    stage_label = RenewalStage(renewal.stage).label
    webhooks_emit(
        events=[
            EmittedEvent(
                event=WebhookEvent.RENEWAL_STAGE_CHANGED,
                key=f"renewal.stage_changed:{renewal.pk}:{renewal.version}",
                data={
                    "renewal_id": renewal.pk,
                    "contract_id": renewal.contract_id,
                    "client_id": client.pk,
                    "client": client.name,
                    "stage": renewal.stage,
                    "previous_stage": previous,
                    "due_on": renewal.due_on,
                    "forecast_call": renewal.forecast_call,
                    "forecast_amount": renewal.forecast_amount,
                    "new_value": renewal.new_value,
                    "by": str(by),
                    "figures": dict(client_figures(client)),
                },
                text=f"*{client.name}*: {RenewalStage(previous).label} → {stage_label}",
                url=reverse("clients:detail", args=[client.pk]),
            )
        ]
    )


@transaction.atomic
def exchange_rates_set(*, by: User, rates: list[dict]) -> list[ExchangeRate]:
    """A batch of rates (API): all or nothing."""
    return [exchange_rate_set(by=by, **row)[0] for row in rates]


# --- invoices ------------------------------------------------------------------------------------

INVOICE_EDITABLE_FIELDS = {
    "number",
    "contract",
    "issued_on",
    "due_on",
    "paid_on",
    "amount",
    "currency",
    "status",
    "notes",
}
DEFAULT_PAYMENT_DAYS = 30


def _check_invoice(invoice: Invoice, *, today: dt.date) -> None:
    invoice.number = (invoice.number or "").strip()
    if not invoice.number:
        raise ApplicationError(_("Give the invoice a number."), field="number")
    if invoice.contract is not None and invoice.contract.client_id != invoice.client_id:
        raise ApplicationError(_("The contract belongs to another client."), field="contract")
    if not invoice.currency:
        invoice.currency = (
            invoice.contract.currency if invoice.contract else (invoice.client.currency or settings.BASE_CURRENCY)
        )
    invoice.currency = _currency(invoice.currency)
    if invoice.amount is None or invoice.amount < 0:
        raise ApplicationError(_("The amount must be zero or more."), field="amount")
    if invoice.status != InvoiceStatus.DRAFT and invoice.status != InvoiceStatus.VOID:
        invoice.issued_on = invoice.issued_on or today
        invoice.due_on = invoice.due_on or invoice.issued_on + dt.timedelta(days=DEFAULT_PAYMENT_DAYS)
    if invoice.issued_on and invoice.due_on and invoice.due_on < invoice.issued_on:
        raise ApplicationError(_("The due date cannot come before the issue date."), field="due_on")
    if invoice.status == InvoiceStatus.PAID:
        invoice.paid_on = invoice.paid_on or today
        if invoice.issued_on and invoice.paid_on < invoice.issued_on:
            raise ApplicationError(_("An invoice cannot be paid before it was issued."), field="paid_on")
    elif invoice.paid_on is not None and invoice.status in UNPAID_STATUSES:
        invoice.status = InvoiceStatus.PAID  # a payment date recorded means it was paid
    if invoice.paid_on is not None and invoice.paid_on > today:
        raise ApplicationError(_("A payment date cannot be in the future."), field="paid_on")
    # Overdue is a fact of the dates: an issued invoice past its due date is overdue, and back when it is moved.
    if invoice.status in UNPAID_STATUSES:
        invoice.status = InvoiceStatus.OVERDUE if invoice.due_on < today else InvoiceStatus.ISSUED


@transaction.atomic
def invoice_create(*, by: User, client: Client, today: dt.date, **fields: Any) -> Invoice:
    if not contract_can_edit_client(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not change its invoices."))
    unknown = set(fields) - INVOICE_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown invoice fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    fields.setdefault("currency", "")
    invoice = Invoice(client=client, created_by=by, **fields)
    _check_invoice(invoice, today=today)
    _save(invoice, by=by)
    return invoice


@transaction.atomic
def invoice_update(
    *, invoice: Invoice, by: User, expected_version: int | None, today: dt.date, **changes: Any
) -> Invoice:
    unknown = set(changes) - INVOICE_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown invoice fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    refusal = _("You can view this invoice but not change it.")
    current = lock_for_update(
        Invoice.objects.select_related("client"),
        invoice.pk,
        expected_version,
        allowed=lambda row: contract_can_edit_client(user=by, client=row.client),
        refusal=refusal,
    )
    if current.status == InvoiceStatus.VOID and changes.get("status", InvoiceStatus.VOID) != InvoiceStatus.VOID:
        raise ApplicationError(_("A void invoice stays void; issue a new one."), field="status")
    for key, value in changes.items():
        setattr(current, key, value)
    _check_invoice(current, today=today)
    current.version += 1
    _save(current, by=by)
    events.publish(BILLING_CHANGED, client_id=current.client_id, by=by, today=today)
    return current


@transaction.atomic
def invoices_mark_overdue(*, today: dt.date) -> int:
    """Issued invoices whose due date has passed become overdue (idempotent; the daily task)."""
    due = list(Invoice.objects.select_for_update().filter(status=InvoiceStatus.ISSUED, due_on__lt=today))
    for invoice in due:
        invoice.status = InvoiceStatus.OVERDUE
        invoice.version += 1
        save_audited(invoice, by=None, update_fields=["status", "version", "updated_at"])
    return len(due)


# --- documents -----------------------------------------------------------------------------------

DOCUMENT_EDITABLE_FIELDS = {
    "title",
    "kind",
    "contract",
    "invoice",
    "period_start",
    "period_end",
    "signature",
    "awaiting_since",
    "signed_on",
}


def _check_document(document: Document, *, today: dt.date) -> None:
    document.title = (document.title or "").strip()[:200]
    if not document.title:
        raise ApplicationError(_("Give the document a title."), field="title")
    if document.contract is not None and document.contract.client_id != document.client_id:
        raise ApplicationError(_("The contract belongs to another client."), field="contract")
    if document.invoice is not None and document.invoice.client_id != document.client_id:
        raise ApplicationError(_("The invoice belongs to another client."), field="invoice")
    if document.period_start and document.period_end and document.period_end < document.period_start:
        raise ApplicationError(_("The period cannot end before it starts."), field="period_end")
    if document.signature == SignatureStatus.SIGNED:
        document.signed_on = document.signed_on or today
        if document.signed_on > today:
            raise ApplicationError(_("A signature date cannot be in the future."), field="signed_on")
    else:
        document.signed_on = None
    if document.signature == SignatureStatus.AWAITING:
        document.awaiting_since = document.awaiting_since or today
        if document.awaiting_since > today:
            raise ApplicationError(
                _("A document cannot have been sent for signature in the future."), field="awaiting_since"
            )
    elif document.signature == SignatureStatus.NOT_NEEDED:
        document.awaiting_since = None


def _store(upload: File, *, client: Client) -> tuple[str, str, int, str]:
    """Check the size and the content, then save under a random name: (stored name, content type, size, sha256)."""
    limit = settings.DOCUMENT_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ApplicationError(_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}, field="file")
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ApplicationError(_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}, field="file")
    if not data:
        raise ApplicationError(_("The file is empty."), field="file")
    name = getattr(upload, "name", "") or ""
    sniffed = files.sniff(data, name)
    if sniffed.content_type is None:
        raise ApplicationError(
            _("This type of file is not accepted. Upload one of: %(types)s.")
            % {"types": ", ".join(files.ALLOWED_EXTENSIONS)},
            field="file",
        )
    if not sniffed.extension_matches:
        raise ApplicationError(
            _("The file's name says %(ext)s but its content is not: rename it or upload the real file.")
            % {"ext": files.extension(name) or _("no type")},
            field="file",
        )
    stored = default_storage.save(f"documents/{client.pk}/{uuid.uuid4().hex}{files.extension(name)}", ContentFile(data))
    return stored, sniffed.content_type, len(data), hashlib.sha256(data).hexdigest()


@transaction.atomic
def document_upload(*, by: User, client: Client, upload: File, today: dt.date, **fields: Any) -> Document:
    """Attach a file to a client (and one of its contracts or invoices): size and content checked, stored under a
    random name through Django's storage API."""
    if not contract_can_edit_client(user=by, client=client):
        raise NotAllowedError(_("You can view this client but not add documents to it."))
    unknown = set(fields) - DOCUMENT_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown document fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    original = files.safe_download_name(getattr(upload, "name", ""))
    fields.setdefault("title", original.rsplit(".", 1)[0])
    document = Document(client=client, uploaded_by=by, original_name=original, **fields)
    _check_document(document, today=today)
    stored, content_type, size, digest = _store(upload, client=client)
    document.file.name, document.content_type, document.size, document.sha256 = stored, content_type, size, digest
    try:
        _save(document, by=by)
    except Exception:
        default_storage.delete(stored)
        raise
    return document


def document_record_captured(
    *, client: Client, author: User, filename: str, data: bytes, today: dt.date
) -> tuple[Document | None, str]:
    """An attachment of e-mail the product captured, kept as the client's document with the same size and content
    checks as an upload (and the same access checks when read). Returns the document, or None with the reason in
    words when the file is refused (too large, a type not accepted): the e-mail itself is captured either way."""
    original = files.safe_download_name(filename or "attachment")
    try:
        with transaction.atomic():
            document = Document(
                client=client, uploaded_by=author, original_name=original, title=original.rsplit(".", 1)[0][:200],
                kind=DocumentKind.OTHER,
            )  # fmt: skip
            _check_document(document, today=today)
            upload = ContentFile(data, name=original)
            stored, content_type, size, digest = _store(upload, client=client)
            document.file.name, document.content_type, document.size, document.sha256 = (
                stored,
                content_type,
                size,
                digest,
            )
            try:
                _save(document, by=author)
            except Exception:
                default_storage.delete(stored)
                raise
    except ApplicationError as exc:
        return None, exc.message
    return document, ""


@transaction.atomic
def document_update(
    *, document: Document, by: User, expected_version: int | None, today: dt.date, **changes: Any
) -> Document:
    """Title, kind, links, period and the signature state (awaiting -> signed with its date)."""
    unknown = set(changes) - DOCUMENT_EDITABLE_FIELDS
    if unknown:
        raise ApplicationError(_("Unknown document fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    current = lock_for_update(
        Document.objects.select_related("client"),
        document.pk,
        expected_version,
        allowed=lambda row: contract_can_edit_client(user=by, client=row.client),
        refusal=_("You can view this document but not change it."),
    )
    for key, value in changes.items():
        setattr(current, key, value)
    _check_document(current, today=today)
    current.version += 1
    _save(current, by=by)
    events.publish(BILLING_CHANGED, client_id=current.client_id, by=by, today=today)
    return current


@transaction.atomic
def document_delete(*, document: Document, by: User) -> None:
    """Remove the record; the file goes once the transaction commits (a rollback keeps both)."""
    current = lock_for_update(
        Document.objects.select_related("client"),
        document.pk,
        None,
        allowed=lambda row: contract_can_edit_client(user=by, client=row.client),
        refusal=_("You can view this document but not delete it."),
    )
    name = current.file.name
    current._history_user = by
    current.delete()
    transaction.on_commit(lambda: default_storage.delete(name))
