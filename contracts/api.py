"""REST endpoints for contracts, renewals and exchange rates: the same selectors and services as the pages."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from clients.selectors import client_queryset_for_user
from contracts import files, selectors, services, views
from contracts.filters import ContractFilter, DocumentFilter, InvoiceFilter, RenewalFilter
from contracts.models import ExchangeRate
from contracts.serializers import (
    ContractSerializer,
    DocumentSerializer,
    ExchangeRateBatchSerializer,
    ExchangeRateSerializer,
    InvoiceSerializer,
    RenewalSerializer,
)
from core.api import ScopedSerializerContextMixin
from users import permissions as rules


def _contracts(*, user):
    return selectors.contract_queryset_for_user(user=user)


def _invoices(*, user):
    return selectors.invoice_queryset_for_user(user=user)


def _without_version(data) -> tuple[dict, int | None]:
    data = dict(data)
    return data, data.pop("version", None)


class ContractViewSet(
    ScopedSerializerContextMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Contracts of the clients you can see; creating or changing one needs the right to edit its client."""

    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    serializer_scopes = {"client_queryset": client_queryset_for_user}

    def get_queryset(self):
        return selectors.contract_queryset_for_user(user=self.request.user).order_by("end_date", "pk")

    def perform_create(self, serializer):
        data, _ = _without_version(serializer.validated_data)
        client = data.pop("client")
        serializer.instance = services.contract_create(
            by=self.request.user, client=client, today=timezone.localdate(), **data
        )

    def perform_update(self, serializer):
        data, version = _without_version(serializer.validated_data)
        data.pop("client", None)
        serializer.instance = services.contract_update(
            contract=serializer.instance,
            by=self.request.user,
            expected_version=version,
            today=timezone.localdate(),
            **data,
        )


class RenewalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Renewals open as contracts approach their end; PATCH the stage, forecast or outcome."""

    serializer_class = RenewalSerializer
    filterset_class = RenewalFilter

    def get_queryset(self):
        return selectors.renewal_queryset_for_user(user=self.request.user).order_by("due_on", "pk")

    def perform_update(self, serializer):
        data, version = _without_version(serializer.validated_data)
        serializer.instance = services.renewal_update(
            renewal=serializer.instance,
            by=self.request.user,
            expected_version=version,
            today=timezone.localdate(),
            **data,
        )


class ExchangeRateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rates to the base currency, newest first; admins POST a batch ``{"rates": [{currency, date, rate}]}``
    (all or nothing, upserted per currency and day)."""

    serializer_class = ExchangeRateSerializer

    def get_queryset(self):
        queryset = ExchangeRate.objects.order_by("-date", "currency")
        currency = self.request.query_params.get("currency")
        return queryset.filter(currency=currency.strip().upper()) if currency else queryset

    @extend_schema(request=ExchangeRateBatchSerializer, responses=ExchangeRateSerializer(many=True))
    def create(self, request: Request) -> Response:
        if not rules.can_load_exchange_rates(request.user):
            raise PermissionDenied(_("Only admins load exchange rates."))
        payload = ExchangeRateBatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rows = services.exchange_rates_set(by=request.user, rates=payload.validated_data["rates"])
        return Response(ExchangeRateSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class InvoiceViewSet(
    ScopedSerializerContextMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Invoices of the clients you can see (``?overdue=true`` for the unpaid ones past their due date)."""

    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    serializer_scopes = {"client_queryset": client_queryset_for_user, "contract_queryset": _contracts}

    def get_queryset(self):
        return selectors.invoice_queryset_for_user(user=self.request.user).order_by("due_on", "pk")

    def perform_create(self, serializer):
        data, _ = _without_version(serializer.validated_data)
        client = data.pop("client")
        serializer.instance = services.invoice_create(
            by=self.request.user, client=client, today=timezone.localdate(), **data
        )

    def perform_update(self, serializer):
        data, version = _without_version(serializer.validated_data)
        data.pop("client", None)
        serializer.instance = services.invoice_update(
            invoice=serializer.instance,
            by=self.request.user,
            expected_version=version,
            today=timezone.localdate(),
            **data,
        )


class DocumentViewSet(
    ScopedSerializerContextMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Documents of the clients you can see. POST multipart/form-data with ``file`` (size and content checked);
    ``GET …/download/`` returns the file (404 for a document you may not see, like any other)."""

    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    serializer_scopes = {
        "client_queryset": client_queryset_for_user,
        "contract_queryset": _contracts,
        "invoice_queryset": _invoices,
    }

    def get_queryset(self):
        return selectors.document_queryset_for_user(user=self.request.user).order_by("-created_at", "-pk")

    def perform_create(self, serializer):
        data, _ = _without_version(serializer.validated_data)
        client = data.pop("client")
        upload = data.pop("file")
        serializer.instance = services.document_upload(
            by=self.request.user, client=client, upload=upload, today=timezone.localdate(), **data
        )

    def perform_update(self, serializer):
        data, version = _without_version(serializer.validated_data)
        data.pop("client", None)
        serializer.instance = services.document_update(
            document=serializer.instance,
            by=self.request.user,
            expected_version=version,
            today=timezone.localdate(),
            **data,
        )

    def perform_destroy(self, instance):
        services.document_delete(document=instance, by=self.request.user)

    # A document is served with its own (sniffed) content type: one of the accepted ones.
    @extend_schema(responses={(200, content_type): OpenApiTypes.BINARY for content_type in files.ALLOWED})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None):
        return views.document_download(request._request, pk=self.get_object().pk)
