from django.db import migrations

DEFAULT_METRICS = [
    ("orders", "Orders", "orders", True, "sum", "Orders placed per day."),
    ("revenue", "Revenue", "EUR", True, "sum", "Revenue booked per day."),
    ("late_deliveries", "Late deliveries", "deliveries", False, "sum", "Deliveries that arrived late."),
    ("support_incidents", "Support incidents", "tickets", False, "sum", "Support tickets opened."),
    ("nps", "NPS", "points", True, "mean", "Net promoter score from surveys (-100 to 100)."),
]


def create_metrics(apps, schema_editor):
    Metric = apps.get_model("health", "Metric")
    for key, name, unit, higher, aggregation, description in DEFAULT_METRICS:
        Metric.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "unit": unit,
                "higher_is_better": higher,
                "aggregation": aggregation,
                "description": description,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("health", "0001_initial")]

    operations = [migrations.RunPython(create_metrics, migrations.RunPython.noop)]
