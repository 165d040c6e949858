"""The KPIs survey answers become: ``nps`` (the installation's default set already has it) and ``csat``.
A frozen copy of surveys.services.METRICS; existing metrics are left as their admins edited them."""

from django.db import migrations

METRICS = {
    "nps": {
        "name": "NPS", "unit": "points", "higher_is_better": True, "aggregation": "mean",
        "description": "Net promoter score from surveys (-100 to 100).", "min_value": -100, "max_value": 100,
        "frequency": "monthly",
    },
    "csat": {
        "name": "CSAT", "unit": "/5", "higher_is_better": True, "aggregation": "mean",
        "description": "Customer satisfaction from surveys: the mean answer (1-5).", "min_value": 1, "max_value": 5,
        "frequency": "monthly",
    },
}  # fmt: skip


def create(apps, schema_editor):
    Metric = apps.get_model("kpis", "Metric")
    for key, defaults in METRICS.items():
        Metric.objects.get_or_create(key=key, defaults=defaults)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial"), ("kpis", "0004_translatable_labels")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
