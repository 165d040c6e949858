from rest_framework import serializers

from kpis.models import Metric


class MetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = Metric
        fields = [
            "id",
            "key",
            "name",
            "unit",
            "higher_is_better",
            "aggregation",
            "description",
            "is_active",
            "min_value",
            "max_value",
            "frequency",
        ]


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
    quarantined = serializers.IntegerField(
        required=False, help_text="Sudden outliers held for an admin's review instead of written (only when > 0)."
    )
    errors = serializers.ListField(child=serializers.DictField(), required=False)
