"""API of notifications: your notifications and channel choices; webhooks and their deliveries (admins only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors, services
from notifications.models import Notification, OutboxChannel, OutboxMessage, Webhook
from notifications.serializers import (
    DeliverySerializer,
    NotificationPreferencesSerializer,
    NotificationSerializer,
    WebhookCreatedSerializer,
    WebhookSecretSerializer,
    WebhookSerializer,
)


class IsAdminRole(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_admin_role)


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Your notifications, newest first (``text`` in your language)."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Notification.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_for(user=self.request.user)

    @extend_schema(request=None, responses={200: {"type": "object", "properties": {"marked": {"type": "integer"}}}})
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_read(user=request.user)})


class MyNotificationPreferencesView(APIView):
    """How each kind of notification reaches you: in_app, email, both or off (the morning digest follows them)."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationPreferencesSerializer

    @extend_schema(responses=NotificationPreferencesSerializer, summary="Your channel per kind of notification")
    def get(self, request: Request) -> Response:
        return Response(selectors.preferences_of(user=request.user))

    @extend_schema(
        request=NotificationPreferencesSerializer,
        responses=NotificationPreferencesSerializer,
        summary="Change your channels",
    )
    def patch(self, request: Request) -> Response:
        serializer = NotificationPreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.notification_preferences_update(user=request.user, choices=serializer.validated_data))


class WebhookViewSet(viewsets.ModelViewSet):
    """Outgoing webhooks (admins). The signing secret is returned once, on creation or rotation; masked after."""

    serializer_class = WebhookSerializer
    permission_classes = [IsAdminRole]
    queryset = Webhook.objects.none()

    def get_queryset(self):
        return selectors.webhooks_for_admin()

    @extend_schema(responses={201: WebhookCreatedSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook, secret = services.webhook_create(by=request.user, **serializer.validated_data)
        body = WebhookSerializer(webhook).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        webhook = self.get_object()
        serializer = self.get_serializer(webhook, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        webhook = services.webhook_update(webhook=webhook, by=request.user, **serializer.validated_data)
        return Response(WebhookSerializer(webhook).data)

    def perform_destroy(self, instance: Webhook) -> None:
        services.webhook_delete(webhook=instance, by=self.request.user)

    @extend_schema(request=None, responses=WebhookSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk=None) -> Response:
        _, secret = services.webhook_secret_rotate(webhook=self.get_object(), by=request.user)
        return Response({"secret": secret})

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk=None) -> Response:
        queryset = selectors.webhook_deliveries(
            webhook=self.get_object(), status=request.query_params.get("status", ""),
            event=request.query_params.get("event", ""),
        )  # fmt: skip
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every webhook delivery (the outbox rows of the webhook channel), newest first; send one again."""

    serializer_class = DeliverySerializer
    permission_classes = [IsAdminRole]
    queryset = OutboxMessage.objects.none()

    def get_queryset(self):
        return OutboxMessage.objects.filter(channel=OutboxChannel.WEBHOOK).order_by("-created_at", "-pk")

    @extend_schema(request=None, responses={201: DeliverySerializer})
    @action(detail=True, methods=["post"], url_path="send-again")
    def send_again(self, request: Request, pk=None) -> Response:
        again = services.webhook_delivery_resend(delivery=self.get_object(), by=request.user)
        return Response(DeliverySerializer(again).data, status=status.HTTP_201_CREATED)
