from __future__ import annotations

from rest_framework import serializers

from notifications import kinds
from notifications.models import Notification, OutboxMessage, Webhook, WebhookFormat
from notifications.webhooks import WebhookEvent


class NotificationSerializer(serializers.ModelSerializer):
    # Blank only on notifications written before kinds existed.
    kind = serializers.ChoiceField(choices=kinds.Kind.choices, allow_blank=True, read_only=True)
    text = serializers.CharField(source="headline", read_only=True, help_text="In the reader's language.")
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "figures", "url", "params", "created_at", "read_at"]
        read_only_fields = fields

    def get_figures(self, note: Notification) -> dict[str, str]:
        return dict(note.figures)


class NotificationPreferencesSerializer(serializers.Serializer):
    """Every kind of notification with its channel: in_app, email, both or off."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in kinds.Kind.choices:
            self.fields[kind] = serializers.ChoiceField(
                choices=kinds.Channel.choices, required=False, help_text=str(label)
            )


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False)
    format = serializers.ChoiceField(choices=WebhookFormat.choices, default=WebhookFormat.JSON)
    secret = serializers.CharField(
        source="masked_secret", read_only=True, help_text="Masked; the full secret is returned once, on creation."
    )

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "events", "format", "is_active", "secret", "created_at", "updated_at"]
        read_only_fields = ["id", "secret", "created_at", "updated_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret: shown this once.")


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(read_only=True, help_text="The new signing secret: shown this once.")


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboxMessage
        fields = [
            "id", "webhook", "event", "event_id", "status", "attempts", "response_status", "last_error",
            "next_attempt_at", "created_at", "sent_at", "resent_from", "body",
        ]  # fmt: skip
        read_only_fields = fields
