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
        fields = ["id", "version", "name", "components", "green_min", "yellow_min", "is_active", "notes", "created_at"]
        read_only_fields = ["version", "is_active", "created_at"]
