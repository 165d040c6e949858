"""REST endpoints for clients, contacts and handoffs: the same selectors and services as the pages."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clients import selectors, services
from clients.filters import ClientFilter
from clients.models import Client, Handoff, SavedClientView
from clients.serializers import (
    ClientSerializer,
    ContactSerializer,
    HandoffAcceptSerializer,
    HandoffReturnSerializer,
    HandoffSerializer,
    SavedClientViewSerializer,
    StatusChangeOutSerializer,
    StatusChangeSerializer,
)
from core.api import ScopedSerializerContextMixin
from core.errors import ApplicationError

# What a contact or handoff may point at: the clients and contacts the requesting user can see.
CLIENT_AND_CONTACT_SCOPES = {
    "client_queryset": selectors.client_queryset_for_user,
    "contact_queryset": selectors.contact_queryset_for_user,
}


def _without_version(data: dict) -> tuple[dict, int | None]:
    data = dict(data)
    return data, data.pop("version", None)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("scope", OpenApiTypes.STR, enum=["mine", "team"], description="mine: clients you own")
        ]
    ),
    destroy=extend_schema(description="Archives the client (soft delete); nothing is erased."),
)
class ClientViewSet(viewsets.ModelViewSet):
    serializer_class = ClientSerializer
    filterset_class = ClientFilter

    def get_queryset(self):
        scope = self.request.query_params.get("scope", "team") if self.action == "list" else "team"
        queryset = selectors.client_queryset_for_user(user=self.request.user, scope=scope)
        if self.action != "list":
            return queryset
        return queryset.order_by("name", "pk")

    def filter_queryset(self, queryset):
        # The filters (and hiding archived clients) shape lists. By id, every visible client answers,
        # archived ones included, as on the detail page: they keep their history and can be restored.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def perform_create(self, serializer):
        data, _ = _without_version(serializer.validated_data)
        serializer.instance = services.client_create(by=self.request.user, **data)

    def perform_update(self, serializer):
        data, version = _without_version(serializer.validated_data)
        client = serializer.instance
        for key in ("owner", "team"):
            if key in data and getattr(client, f"{key}_id") == (data[key].pk if data[key] else None):
                data.pop(key)  # unchanged assignment fields are not a reassignment
        serializer.instance = services.client_update(
            client=client, by=self.request.user, expected_version=version, **data
        )

    def perform_destroy(self, instance: Client):
        services.client_archive(client=instance, by=self.request.user)

    @extend_schema(request=StatusChangeSerializer, responses={201: StatusChangeOutSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def status_change(self, request: Request, pk=None) -> Response:
        """A dated lifecycle step (onboarding, active, paused, churned with ``churn_reason``, or ``downgraded``);
        ``effective_on`` defaults to today, and only admins may back-date it."""
        client = self.get_object()
        payload = StatusChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        row = services.client_status_change(
            client=client,
            by=request.user,
            status=data.get("status") or client.status,
            effective_on=data.get("effective_on"),
            reason=data["reason"],
            churn_reason=data["churn_reason"],
            downgraded=data["downgraded"],
        )
        return Response(StatusChangeOutSerializer(row).data, status=status.HTTP_201_CREATED)


class ContactViewSet(
    ScopedSerializerContextMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Stakeholders. A contact who left is marked ``is_active=false``, not deleted."""

    serializer_class = ContactSerializer
    serializer_scopes = CLIENT_AND_CONTACT_SCOPES
    filterset_fields = ["client", "role", "is_active"]

    def get_queryset(self):
        return selectors.contact_queryset_for_user(user=self.request.user).order_by("client_id", "last_name", "pk")

    def perform_create(self, serializer):
        data, _ = _without_version(serializer.validated_data)
        client = data.pop("client")
        serializer.instance = services.contact_create(client=client, by=self.request.user, **data)

    def perform_update(self, serializer):
        data, version = _without_version(serializer.validated_data)
        data.pop("client", None)
        serializer.instance = services.contact_update(
            contact=serializer.instance, by=self.request.user, expected_version=version, **data
        )


class HandoffViewSet(
    ScopedSerializerContextMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Sales-to-AM handoffs. POST is idempotent on ``deal_external_id``: a retry returns the same handoff (200)."""

    serializer_class = HandoffSerializer
    serializer_scopes = CLIENT_AND_CONTACT_SCOPES
    filterset_fields = ["status", "client", "to_team", "to_am"]

    def get_queryset(self):
        return selectors.handoff_queryset_for_user(user=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(responses={200: HandoffSerializer, 201: HandoffSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, _ = _without_version(serializer.validated_data)
        receipt = services.deal_receive(
            by=request.user,
            client=data.pop("client", None),
            client_external_id=data.pop("client_external_id", None),
            client_name=data.pop("client_name", None),
            **data,
        )
        if receipt.handoff is None:
            raise ApplicationError(receipt.skipped_because)
        handoff, created = receipt.handoff, receipt.created
        handoff = self.get_queryset().get(pk=handoff.pk)
        return Response(
            self.get_serializer(handoff).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def perform_update(self, serializer):
        data, version = _without_version(serializer.validated_data)
        for key in ("client", "client_external_id", "client_name"):
            data.pop(key, None)
        services.handoff_update(handoff=serializer.instance, by=self.request.user, expected_version=version, **data)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(request=HandoffAcceptSerializer, responses=HandoffSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk=None) -> Response:
        handoff = self.get_object()
        payload = HandoffAcceptSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.handoff_accept(handoff=handoff, by=request.user, owner=payload.validated_data.get("owner"))
        return Response(self.get_serializer(self._reload(handoff)).data)

    @extend_schema(request=HandoffReturnSerializer, responses=HandoffSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_sales(self, request: Request, pk=None) -> Response:
        handoff = self.get_object()
        payload = HandoffReturnSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.handoff_return(handoff=handoff, by=request.user, reason=payload.validated_data["reason"])
        return Response(self.get_serializer(self._reload(handoff)).data)

    @extend_schema(request=None, responses=HandoffSerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk=None) -> Response:
        handoff = self.get_object()
        services.handoff_resend(handoff=handoff, by=request.user)
        return Response(self.get_serializer(self._reload(handoff)).data)

    def _reload(self, handoff: Handoff) -> Handoff:
        try:
            return Handoff.objects.select_related("client").prefetch_related("stakeholders").get(pk=handoff.pk)
        except Handoff.DoesNotExist as exc:  # pragma: no cover - handoffs are never deleted
            raise Http404 from exc


@extend_schema_view(
    create=extend_schema(
        description="Saves the view; a name the user already has replaces that view (200) instead of adding one (201)."
    ),
    destroy=extend_schema(description="Deletes the view; the clients are not touched."),
)
class SavedClientViewViewSet(viewsets.ModelViewSet):
    """The requesting user's saved client-list views (nobody sees another user's)."""

    serializer_class = SavedClientViewSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema, built without a user
            return SavedClientView.objects.none()
        return selectors.saved_views_for_user(user=self.request.user)

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        view, created = services.saved_view_save(
            by=request.user,
            name=data["name"],
            scope=data.get("scope", "mine"),
            query=data.get("query", ""),
            pinned=data.get("pinned", False),
        )
        return Response(
            self.get_serializer(view).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.saved_view_update(
            view=serializer.instance,
            by=self.request.user,
            name=data.get("name"),
            query=data.get("query"),
            pinned=data.get("pinned"),
            scope=data.get("scope"),
        )

    def perform_destroy(self, instance):
        services.saved_view_delete(view=instance, by=self.request.user)
