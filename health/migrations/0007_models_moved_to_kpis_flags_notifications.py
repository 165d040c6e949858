
from django.db import migrations


class Migration(migrations.Migration):
    """State only: Metric/MetricValue moved to kpis, rules, flags and runs to flags, Notification to
    notifications. Their tables stay where they are (each model keeps its db_table); no row moves."""

    dependencies = [
        ('notifications', '0001_initial'),
        ('flags', '0001_initial'),
        ('kpis', '0001_initial'),
        ('health', '0006_metric_value_composite_key'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='flag',
                    name='assigned_to',
                ),
                migrations.RemoveField(
                    model_name='flag',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='flag',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='flag',
                    name='interaction',
                ),
                migrations.RemoveField(
                    model_name='flag',
                    name='resolved_by',
                ),
                migrations.RemoveField(
                    model_name='flag',
                    name='rule',
                ),
                migrations.RemoveField(
                    model_name='notification',
                    name='flag',
                ),
                migrations.RemoveField(
                    model_name='metricvalue',
                    name='metric',
                ),
                migrations.RemoveField(
                    model_name='metricvalue',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='notification',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='triggerrule',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='triggerrule',
                    name='team',
                ),
                migrations.DeleteModel(
                    name='EvaluationChunk',
                ),
                migrations.DeleteModel(
                    name='EvaluationRun',
                ),
                migrations.DeleteModel(
                    name='Flag',
                ),
                migrations.DeleteModel(
                    name='Metric',
                ),
                migrations.DeleteModel(
                    name='MetricValue',
                ),
                migrations.DeleteModel(
                    name='Notification',
                ),
                migrations.DeleteModel(
                    name='TriggerRule',
                ),
            ],
            database_operations=[],
        ),
    ]
