from rest_framework import serializers

from health.models import HealthModel, HealthScore


class HealthScoreSerializer(serializers.ModelSerializer):
    model_version = serializers.IntegerField(source="model.version", read_only=True)

    class Meta:
        model = HealthScore
        fields = ["client", "date", "score", "band", "coverage", "weakest", "components", "model_version"]


class HealthModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = HealthModel
        fields = [
            "id",
            "version",
            "name",
            "components",
            "green_min",
            "yellow_min",
            "is_active",
            "notes",
            "created_at",
            "restored_from",
        ]
        read_only_fields = ["version", "is_active", "created_at", "restored_from"]


class RescoreSerializer(serializers.Serializer):
    """The latest re-score request and its progress (all null/0 when none was asked yet)."""

    on_date = serializers.DateField(source="request.on_date", allow_null=True)
    requested_at = serializers.DateTimeField(source="request.requested_at", allow_null=True)
    clients = serializers.IntegerField(source="total")
    done = serializers.IntegerField()
    finished = serializers.BooleanField(allow_null=True)
