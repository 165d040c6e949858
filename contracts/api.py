"""REST endpoints for contracts, renewals and exchange rates: the same selectors and services as the pages."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from clients.selectors import client_queryset_for_user
from contracts import selectors, services
from contracts.filters import ContractFilter, RenewalFilter
from contracts.models import ExchangeRate
from contracts.serializers import (
    ContractSerializer,
    ExchangeRateBatchSerializer,
    ExchangeRateSerializer,
    RenewalSerializer,
)
from core.api import ScopedSerializerContextMixin
from users import permissions as rules


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
            raise PermissionDenied("Only admins load exchange rates.")
        payload = ExchangeRateBatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rows = services.exchange_rates_set(by=request.user, rates=payload.validated_data["rates"])
        return Response(ExchangeRateSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)
