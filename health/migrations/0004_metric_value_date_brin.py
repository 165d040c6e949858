from django.db import migrations


def create_brin(apps, schema_editor):
    # BRIN: a few pages for millions of time-ordered rows, nearly free to maintain on insert.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS metric_value_date_brin ON health_metricvalue USING brin (date)"
        )


def drop_brin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS metric_value_date_brin")


class Migration(migrations.Migration):
    dependencies = [("health", "0003_lean_metric_values")]

    operations = [migrations.RunPython(create_brin, drop_brin)]
