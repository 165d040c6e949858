
import django.db.models.deletion
from django.db import migrations, models


MOVED = ['metric', 'metricvalue']


def move_content_types(apps, schema_editor):
    """Permissions and admin history of the moved models keep pointing at them under their new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label="kpis").values_list("model", flat=True))
    ContentType.objects.filter(app_label="health", model__in=[m for m in MOVED if m not in taken]).update(app_label="kpis")


class Migration(migrations.Migration):
    """The KPI models as they were in the health app (health 0006): state only, over the existing tables."""

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('health', '0006_metric_value_composite_key'),
        ('clients', '0003_client_contact_due_on'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Metric',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField(help_text='Used by the ingestion API and CSV files.', unique=True)),
                        ('name', models.CharField(max_length=100)),
                        ('unit', models.CharField(blank=True, max_length=20)),
                        ('higher_is_better', models.BooleanField(default=True)),
                        ('aggregation', models.CharField(choices=[('sum', 'Sum over the window'), ('mean', 'Mean over the window'), ('last', 'Last value in the window')], default='sum', max_length=4)),
                        ('description', models.TextField(blank=True)),
                        ('is_active', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'health_metric',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='MetricValue',
                    fields=[
                        ('pk', models.CompositePrimaryKey('client', 'metric', 'date', blank=True, editable=False, primary_key=True, serialize=False)),
                        ('date', models.DateField()),
                        ('value', models.FloatField()),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('client', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='metric_values', to='clients.client')),
                        ('metric', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='values', to='kpis.metric')),
                    ],
                    options={
                        'db_table': 'health_metricvalue',
                        'constraints': [models.UniqueConstraint(fields=('client', 'metric', 'date'), name='metric_value_one_per_day')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
