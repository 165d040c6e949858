"""REST endpoints for interactions and follow-ups: the same selectors and services as the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clients.selectors import client_queryset_for_user, contact_queryset_for_user
from core.api import ScopedSerializerContextMixin
from interactions import selectors, services
from interactions.filters import FollowUpFilter, InteractionFilter
from interactions.models import Interaction
from interactions.serializers import (
    CancelSerializer,
    FollowUpSerializer,
    InteractionSerializer,
    RescheduleSerializer,
)


class _ScopedContextMixin(ScopedSerializerContextMixin):
    serializer_scopes = {
        "client_queryset": client_queryset_for_user,
        "contact_queryset": contact_queryset_for_user,
        "interaction_queryset": selectors.interaction_queryset_for_user,
    }


@extend_schema_view(destroy=extend_schema(description="Soft delete: kept in the audit history."))
class InteractionViewSet(_ScopedContextMixin, viewsets.ModelViewSet):
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter

    def get_queryset(self):
        return selectors.interaction_queryset_for_user(user=self.request.user).order_by("-occurred_at", "-pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        data.setdefault("kind", Interaction._meta.get_field("kind").default)  # optional in the API, as in the model
        client = data.pop("client")
        serializer.instance = services.interaction_log(client=client, by=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        data.pop("client", None)
        contacts = data.pop("contacts", None)
        serializer.instance = services.interaction_update(
            interaction=serializer.instance,
            by=self.request.user,
            expected_version=version,
            contacts=contacts,
            **data,
        )

    def perform_destroy(self, instance):
        services.interaction_delete(interaction=instance, by=self.request.user)


class FollowUpViewSet(
    _ScopedContextMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Follow-ups and client commitments. State changes go through the actions below."""

    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter

    def get_queryset(self):
        user = self.request.user
        queryset = selectors.followup_queryset_for_user(user=user).order_by("due_date", "pk")
        return selectors.followups_with_interaction_visibility(queryset, user=user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        client = data.pop("client")
        serializer.instance = services.followup_create(client=client, by=self.request.user, **data)

    def _reply(self, followup) -> Response:
        followup.refresh_from_db()
        return Response(self.get_serializer(followup).data)

    @extend_schema(request=None, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk=None) -> Response:
        followup = self.get_object()
        services.followup_complete(followup=followup, by=request.user)
        return self._reply(followup)

    @extend_schema(request=RescheduleSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk=None) -> Response:
        followup = self.get_object()
        payload = RescheduleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.followup_reschedule(
            followup=followup,
            by=request.user,
            due_date=data["due_date"],
            promised_date=data.get("promised_date"),
            reason=data.get("reason", ""),
            expected_version=data.get("version"),
        )
        return self._reply(followup)

    @extend_schema(request=CancelSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        followup = self.get_object()
        payload = CancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.followup_cancel(followup=followup, by=request.user, reason=payload.validated_data["reason"])
        return self._reply(followup)
