from django.utils.translation import gettext as _
from rest_framework import serializers

from clients.models import Client, Contact
from core.api import ScopedRelationsMixin
from core.locking import VersionedSerializerMixin
from interactions.models import FollowUp, Interaction
from users.models import User


class InteractionSerializer(ScopedRelationsMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    scoped_relations = {"client": "client_queryset", "contacts": "contact_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    contacts = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), many=True, required=False)
    author_name = serializers.CharField(source="author.__str__", read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "client",
            "kind",
            "occurred_at",
            "author",
            "author_name",
            "contacts",
            "summary",
            "sentiment",
            "outcome",
            "next_step",
            "is_private",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["author", "created_at", "updated_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "client" in attrs and attrs["client"].pk != self.instance.client_id:
            raise serializers.ValidationError({"client": [_("An interaction cannot move to another client.")]})
        return attrs


class FollowUpSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    scoped_relations = {"client": "client_queryset", "interaction": "interaction_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    interaction = serializers.PrimaryKeyRelatedField(
        queryset=Interaction.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "client",
            "owner",
            "title",
            "notes",
            "due_date",
            "is_commitment",
            "promised_date",
            "status",
            "origin",
            "interaction",
            "handoff",
            "completed_at",
            "cancel_reason",
            "created_by",
            "version",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "origin",
            "handoff",
            "completed_at",
            "cancel_reason",
            "created_by",
            "version",
            "created_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.interaction_id is not None and not self._sees_interaction(instance):
            data["interaction"] = None  # a private note the reader may not see is not linked either
        return data

    def _sees_interaction(self, instance) -> bool:
        visible = getattr(instance, "interaction_visible", None)  # annotated by the list and detail queryset
        if visible is None:
            queryset = self.context.get("interaction_queryset")  # the reader's visible interactions
            visible = queryset is not None and queryset.filter(pk=instance.interaction_id).exists()
        return bool(visible)


class RescheduleSerializer(serializers.Serializer):
    due_date = serializers.DateField()
    promised_date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    version = serializers.IntegerField(required=False)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
