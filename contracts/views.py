"""Contract, renewal and exchange-rate pages. Thin: forms validate, services write, selectors read."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clients import services as client_services
from clients.permissions import client_get_for_user
from clients.selectors import owners_for_user
from contracts import importers, selectors, services
from contracts.files import safe_download_name
from contracts.forms import (
    ContractForm,
    DocumentFilterForm,
    DocumentForm,
    ExchangeRateForm,
    InvoiceFilterForm,
    InvoiceForm,
    RenewalFilterForm,
    RenewalForm,
    UploadForm,
)
from contracts.models import ContractStatus, DocumentKind, RenewalStage, SignatureStatus
from contracts.permissions import (
    contract_can_edit,
    contract_can_edit_client,
    contract_get_for_user,
    document_get_for_user,
    invoice_get_for_user,
    renewal_can_edit,
    renewal_get_for_user,
)
from core.errors import ApplicationError, ConcurrentEditError
from core.forms import add_service_error
from users import permissions as rules

PAGE_SIZE = 50


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    queryset = selectors.contract_queryset_for_user(user=request.user).order_by("end_date", "pk")
    client_id = request.GET.get("client", "")
    if client_id.isdigit():
        queryset = queryset.filter(client_id=int(client_id))
    status = request.GET.get("status", "")
    if status in ContractStatus.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/contract_list.html",
        {"page": page, "statuses": ContractStatus.choices, "status": status, "client_id": client_id, "today": today},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not contract_can_edit_client(user=request.user, client=client):
        raise PermissionDenied
    form = ContractForm(request.POST or None, initial={"currency": client.currency or settings.BASE_CURRENCY})
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(
                by=request.user, client=client, today=timezone.localdate(), **form.service_fields()
            )
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Contract %(number)s saved.") % {"number": contract.number})
            return redirect("contracts:detail", pk=contract.pk)
    return render(request, "contracts/contract_form.html", {"form": form, "client": client, "title": _("New contract")})


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_user(user=request.user, pk=pk)
    renewal = getattr(contract, "renewal", None) if hasattr(contract, "renewal") else None
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "client": contract.client,
            "renewal": renewal,
            "annual_value": selectors.annual_value(contract),
            "can_edit": contract_can_edit(user=request.user, contract=contract),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_user(user=request.user, pk=pk)
    if not contract_can_edit(user=request.user, contract=contract):
        raise PermissionDenied
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(
                contract=contract,
                by=request.user,
                expected_version=form.cleaned_data.get("version"),
                today=timezone.localdate(),
                **form.service_fields(),
            )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Contract saved."))
            return redirect("contracts:detail", pk=contract.pk)
    return render(
        request,
        "contracts/contract_form.html",
        {"form": form, "client": contract.client, "contract": contract, "title": _("Edit %(n)s") % {"n": contract}},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_import(request: HttpRequest) -> HttpResponse:
    """Upload -> dry-run report -> confirm (the previewed file waits in the database, as for the sales import)."""
    user = request.user
    if not rules.can_manage_contracts(user):
        raise PermissionDenied
    max_bytes = settings.MAX_IMPORT_UPLOAD_BYTES
    report = token = None
    today = timezone.localdate()
    form = UploadForm(max_bytes=max_bytes)
    if request.method == "POST" and request.POST.get("token"):
        preview = client_services.import_preview_get(by=user, token=request.POST["token"])
        if preview is None:
            messages.error(request, _("The preview expired; upload the file again."))
        else:
            report = importers.import_contracts(data=bytes(preview.data), by=user, dry_run=False, today=today)
            if report.applied:
                client_services.import_preview_discard(preview=preview)
                messages.success(
                    request,
                    _("Imported %(rows)s rows: %(created)s contracts created, %(updated)s updated.") % report.summary,
                )
                return redirect("contracts:list")
    elif request.method == "POST":
        form = UploadForm(request.POST, request.FILES, max_bytes=max_bytes)
        if form.is_valid():
            data = form.cleaned_data["file"].read()
            report = importers.import_contracts(data=data, by=user, dry_run=True, today=today)
            if report.ok:
                token = client_services.import_preview_save(by=user, data=data, to_team=None, to_am=None)
    return render(request, "contracts/contract_import.html", {"form": form, "report": report, "token": token})


# --- renewals ------------------------------------------------------------------------------------


@login_required
def renewal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not rules.can_manage_contracts(user):
        raise PermissionDenied
    today = timezone.localdate()
    form = RenewalFilterForm(request.GET or None, owners=owners_for_user(user=user))
    filters = form.cleaned_data if form.is_valid() else {}
    overdue, months = selectors.renewals_board(
        user=user,
        today=today,
        owner=filters["owner"].pk if filters.get("owner") else None,
        stage=filters.get("stage") or "",
        segment=filters.get("segment") or "",
        key_account=filters.get("key_account"),
    )
    year_ago = services.add_months(today, -12)
    return render(
        request,
        "contracts/renewal_list.html",
        {
            "form": form,
            "overdue": overdue,
            "months": months,
            "today": today,
            "retention": selectors.retention(user=user, start=year_ago, end=today),
            "base_currency": selectors.base_currency(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def renewal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    renewal = renewal_get_for_user(user=request.user, pk=pk)
    can_edit = renewal_can_edit(user=request.user, renewal=renewal)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    initial = {"stage": request.GET["stage"]} if request.GET.get("stage") in RenewalStage.values else {}
    form = RenewalForm(request.POST or None, instance=renewal, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.renewal_update(
                renewal=renewal,
                by=request.user,
                expected_version=form.cleaned_data.get("version"),
                today=timezone.localdate(),
                **{k: v for k, v in form.cleaned_data.items() if k != "version"},
            )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Renewal saved."))
            return redirect("contracts:renewals")
    return render(
        request,
        "contracts/renewal_form.html",
        {"form": form, "renewal": renewal, "contract": renewal.contract, "can_edit": can_edit},
    )


# --- exchange rates ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def exchange_rates(request: HttpRequest) -> HttpResponse:
    """Admins add one rate or upload a CSV (currency,date,rate); the upload is all or nothing."""
    user = request.user
    if not rules.can_load_exchange_rates(user):
        raise PermissionDenied
    rate_form = ExchangeRateForm(request.POST if request.POST.get("action") == "one" else None)
    upload_form = UploadForm(
        request.POST if request.POST.get("action") == "upload" else None,
        request.FILES or None,
        max_bytes=settings.MAX_IMPORT_UPLOAD_BYTES,
    )
    report = None
    if request.method == "POST" and request.POST.get("action") == "one" and rate_form.is_valid():
        try:
            services.exchange_rate_set(by=user, **rate_form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(rate_form, exc)
        else:
            messages.success(request, _("Rate saved."))
            return redirect("contracts:rates")
    elif request.method == "POST" and request.POST.get("action") == "upload" and upload_form.is_valid():
        data = upload_form.cleaned_data["file"].read()
        report = importers.import_exchange_rates(data=data, by=user, dry_run=False)
        if report.ok:
            messages.success(
                request,
                _("%(created)s rates added, %(updated)s corrected, %(unchanged)s unchanged.")
                % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
            )
            return redirect("contracts:rates")
    return render(
        request,
        "contracts/exchange_rates.html",
        {
            "rate_form": rate_form,
            "upload_form": upload_form,
            "report": report,
            "rates": selectors.exchange_rates(),
            "base_currency": selectors.base_currency(),
        },
    )


# --- invoices ------------------------------------------------------------------------------------


def _querystring(request: HttpRequest, **drop) -> str:
    params = request.GET.copy()
    for key in ("page", *drop):
        params.pop(key, None)
    return params.urlencode()


@login_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    """Invoices of the clients you can see: filter by status, overdue, AM; what waits for a payment, converted."""
    user = request.user
    today = timezone.localdate()
    form = InvoiceFilterForm(request.GET or None, owners=owners_for_user(user=user))
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.invoices_for_user(
        user=user,
        today=today,
        status=filters.get("status") or "",
        overdue=bool(filters.get("overdue")),
        client_id=filters.get("client"),
        owner_id=filters["owner"].pk if filters.get("owner") else None,
        sort=filters.get("sort") or "due_on",
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/invoice_list.html",
        {
            "form": form,
            "page": page,
            "today": today,
            "open_total": selectors.invoice_totals(page.object_list, today=today),
            "querystring": _querystring(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not contract_can_edit_client(user=request.user, client=client):
        raise PermissionDenied
    initial = {"currency": client.currency or settings.BASE_CURRENCY}
    contract_id = request.GET.get("contract", "")
    if contract_id.isdigit():
        initial["contract"] = int(contract_id)
    form = InvoiceForm(request.POST or None, client=client, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_create(
                by=request.user, client=client, today=timezone.localdate(), **form.service_fields()
            )
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Invoice %(number)s saved.") % {"number": invoice.number})
            return redirect("contracts:invoice_edit", pk=invoice.pk)
    return render(request, "contracts/invoice_form.html", {"form": form, "client": client, "title": _("New invoice")})


@login_required
@require_http_methods(["GET", "POST"])
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = invoice_get_for_user(user=request.user, pk=pk)
    can_edit = contract_can_edit_client(user=request.user, client=invoice.client)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = InvoiceForm(request.POST or None, instance=invoice, client=invoice.client)
    if request.method == "POST" and form.is_valid():
        try:
            services.invoice_update(
                invoice=invoice,
                by=request.user,
                expected_version=form.expected_version,
                today=timezone.localdate(),
                **form.service_fields(),
            )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Invoice saved."))
            return redirect("contracts:invoice_edit", pk=invoice.pk)
    documents = selectors.documents_for_user(user=request.user).filter(invoice=invoice)
    return render(
        request,
        "contracts/invoice_form.html",
        {
            "form": form,
            "client": invoice.client,
            "invoice": invoice,
            "documents": documents,
            "can_edit": can_edit,
            "title": _("Invoice %(number)s") % {"number": invoice.number},
        },
    )


# --- documents -----------------------------------------------------------------------------------


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    """Documents of the clients you can see; "awaiting signature" is the AM's daily chase list."""
    user = request.user
    today = timezone.localdate()
    form = DocumentFilterForm(request.GET or None, owners=owners_for_user(user=user))
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.documents_for_user(
        user=user,
        kind=filters.get("kind") or "",
        signature=filters.get("signature") or "",
        client_id=filters.get("client"),
        contract_id=filters.get("contract"),
        owner_id=filters["owner"].pk if filters.get("owner") else None,
        awaiting_days=filters.get("awaiting_days"),
        today=today,
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/document_list.html",
        {"form": form, "page": page, "today": today, "querystring": _querystring(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_upload(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_get_for_user(user=request.user, pk=client_pk)
    if not contract_can_edit_client(user=request.user, client=client):
        raise PermissionDenied
    initial = {key: int(value) for key in ("contract", "invoice") if (value := request.GET.get(key, "")).isdigit()}
    if request.GET.get("kind") in DocumentKind.values:
        initial["kind"] = request.GET["kind"]
    form = DocumentForm(request.POST or None, request.FILES or None, client=client, with_file=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_upload(
                by=request.user,
                client=client,
                upload=form.cleaned_data["file"],
                today=timezone.localdate(),
                **form.service_fields(),
            )
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Document %(title)s uploaded.") % {"title": document.title})
            return redirect(f"{reverse('contracts:documents')}?client={client.pk}")
    return render(
        request, "contracts/document_form.html", {"form": form, "client": client, "title": _("Upload a document")}
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    document = document_get_for_user(user=request.user, pk=pk)
    can_edit = contract_can_edit_client(user=request.user, client=document.client)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = DocumentForm(request.POST or None, instance=document, client=document.client, with_file=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_update(
                document=document,
                by=request.user,
                expected_version=form.expected_version,
                today=timezone.localdate(),
                **form.service_fields(),
            )
        except ConcurrentEditError as exc:
            form.add_error(None, exc.message)
        except (ApplicationError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Document saved."))
            return redirect("contracts:document_edit", pk=document.pk)
    return render(
        request,
        "contracts/document_form.html",
        {"form": form, "client": document.client, "document": document, "can_edit": can_edit, "title": document.title},
    )


@login_required
@require_http_methods(["POST"])
def document_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """One click from the chase list: the document came back signed today."""
    document = document_get_for_user(user=request.user, pk=pk)
    if not contract_can_edit_client(user=request.user, client=document.client):
        raise PermissionDenied
    version = request.POST.get("version", "")
    try:
        services.document_update(
            document=document,
            by=request.user,
            expected_version=int(version) if version.isdigit() else -1,
            today=timezone.localdate(),
            signature=SignatureStatus.SIGNED,
        )
    except (ApplicationError, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "; ".join(getattr(exc, "messages", [])))
    else:
        messages.success(request, _("%(title)s marked signed.") % {"title": document.title})
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("contracts:documents")


@login_required
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file, only for who may see its client (otherwise 404); never inline, never sniffed by the browser."""
    document = document_get_for_user(user=request.user, pk=pk)
    try:
        handle = default_storage.open(document.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from storage.")) from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=safe_download_name(document.original_name),
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = document_get_for_user(user=request.user, pk=pk)
    if not contract_can_edit_client(user=request.user, client=document.client):
        raise PermissionDenied
    if request.method == "POST":
        client_id = document.client_id
        services.document_delete(document=document, by=request.user)
        messages.success(request, _("Document deleted."))
        return redirect(f"{reverse('contracts:documents')}?client={client_id}")
    return render(request, "contracts/document_confirm_delete.html", {"document": document, "client": document.client})
