from rest_framework import serializers

from health.models import HealthModel, HealthScore, Metric


class MetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = Metric
        fields = ["id", "key", "name", "unit", "higher_is_better", "aggregation", "description", "is_active"]


class KpiValueSerializer(serializers.Serializer):
    """Documentation of one row; the batch endpoint validates rows itself, fast and all at once."""

    client = serializers.JSONField(help_text="Client id (number) or external id (string).")
    metric = serializers.CharField(help_text="Metric key, e.g. 'orders'.")
    date = serializers.DateField()
    value = serializers.FloatField()


class KpiBatchSerializer(serializers.Serializer):
    rows = KpiValueSerializer(many=True, help_text="Up to 10,000 rows. A bare JSON list of rows is accepted too.")


class KpiBatchResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    written = serializers.IntegerField(help_text="Rows inserted or changed; 0 when the same batch is sent again.")
    errors = serializers.ListField(child=serializers.DictField(), required=False)


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
