from django.db import migrations

SATISFACTION = {
    "name": "Satisfaction",
    "unit": "/10",
    "higher_is_better": True,
    "aggregation": "last",
    "description": "The client's satisfaction (1-10), asked in the quarterly account review.",
}


def create_satisfaction_metric(apps, schema_editor):
    Metric = apps.get_model("health", "Metric")
    Metric.objects.get_or_create(key="satisfaction", defaults=SATISFACTION)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("health", "0002_default_metrics"),
    ]

    # It reads the metric through the health app's state, so it runs before the model moves to kpis.
    run_before = [("health", "0007_models_moved_to_kpis_flags_notifications")]

    operations = [migrations.RunPython(create_satisfaction_metric, migrations.RunPython.noop)]
