from django.db import migrations
from django.db.models import Max

# The default model as health.scoring.DEFAULT_COMPONENTS was before data freshness (frozen copies).
OLD_DEFAULT = [
    {"kind": "kpi_trend", "weight": 3, "params": {"metric": "orders", "window_days": 28}},
    {"kind": "kpi_trend", "weight": 2, "params": {"metric": "revenue", "window_days": 28}},
    {"kind": "kpi_trend", "weight": 1, "params": {"metric": "support_incidents", "window_days": 28}},
    {"kind": "kpi_level", "weight": 1, "params": {"metric": "nps", "window_days": 90, "good": 50, "bad": 0}},
    {"kind": "engagement", "weight": 2},
    {"kind": "commitments", "weight": 1},
    {"kind": "review_recency", "weight": 1},
    {"kind": "renewal_proximity", "weight": 1},
]
FRESHNESS = {"kind": "data_freshness", "weight": 2}


def add_freshness(apps, schema_editor):
    """An installation still on the untouched default model gets a new version that also reads data freshness
    (a client whose KPIs stopped arriving is not green); a model an admin edited is left as it is."""
    HealthModel = apps.get_model("health", "HealthModel")
    active = HealthModel.objects.filter(is_active=True).first()
    if active is None or active.components != OLD_DEFAULT:
        return
    latest = HealthModel.objects.aggregate(latest=Max("version"))["latest"] or 0
    HealthModel.objects.filter(pk=active.pk).update(is_active=False)
    HealthModel.objects.create(
        version=latest + 1,
        name=active.name,
        components=[*OLD_DEFAULT, FRESHNESS],
        green_min=active.green_min,
        yellow_min=active.yellow_min,
        is_active=True,
        notes="Default model, now with data freshness (issue 12)",
    )


class Migration(migrations.Migration):
    dependencies = [("health", "0008_rescoredue")]

    operations = [migrations.RunPython(add_freshness, migrations.RunPython.noop)]
