
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ['triggerrule', 'flag', 'evaluationrun', 'evaluationchunk']


def move_content_types(apps, schema_editor):
    """Permissions and admin history of the moved models keep pointing at them under their new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label="flags").values_list("model", flat=True))
    ContentType.objects.filter(app_label="health", model__in=[m for m in MOVED if m not in taken]).update(app_label="flags")


class Migration(migrations.Migration):
    """The rule, flag and run models as they were in the health app (health 0006): state only, over the
    existing tables."""

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('health', '0006_metric_value_composite_key'),
        ('clients', '0003_client_contact_due_on'),
        ('interactions', '0001_initial'),
        ('users', '0002_user_daily_digest_user_in_app_notifications'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='EvaluationRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(unique=True)),
                        ('status', models.CharField(choices=[('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='running', max_length=10)),
                        ('attempt', models.PositiveIntegerField(default=1)),
                        ('started_at', models.DateTimeField()),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('chunks_total', models.PositiveIntegerField(default=0)),
                        ('chunks_done', models.PositiveIntegerField(default=0)),
                        ('clients', models.PositiveIntegerField(default=0)),
                        ('flags_opened', models.PositiveIntegerField(default=0)),
                        ('flags_closed', models.PositiveIntegerField(default=0)),
                        ('errors', models.JSONField(blank=True, default=list)),
                    ],
                    options={
                        'db_table': 'health_evaluationrun',
                        'ordering': ['-date'],
                    },
                ),
                migrations.CreateModel(
                    name='TriggerRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120)),
                        ('kind', models.CharField(choices=[('kpi_drop', 'KPI dropped by X%'), ('kpi_threshold', 'KPI crossed a threshold'), ('no_contact', 'No contact (days or beyond cadence)'), ('health_below', 'Health score below X'), ('health_drop', 'Health dropped by X points'), ('commitment_overdue', 'Commitment overdue'), ('renewal_no_review', 'Renewal near, no review this quarter'), ('stakeholder_left', 'Key stakeholder left')], max_length=20)),
                        ('params', models.JSONField(default=dict, help_text='Validated by flags.rules for the kind.')),
                        ('severity', models.PositiveSmallIntegerField(choices=[(1, 'Low'), (2, 'Medium'), (3, 'High'), (4, 'Critical')], default=2)),
                        ('segment', models.CharField(blank=True, help_text='Only clients of this segment (blank: all).', max_length=20)),
                        ('cooldown_days', models.PositiveSmallIntegerField(default=14, help_text='Quiet period after a flag closes.')),
                        ('auto_close', models.BooleanField(default=True, help_text='Close the flag when the condition no longer holds.')),
                        ('is_active', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                        ('team', models.ForeignKey(blank=True, help_text="Blank: a global rule (admins). Set: this team's rule (its lead).", null=True, on_delete=django.db.models.deletion.CASCADE, related_name='trigger_rules', to='users.team')),
                    ],
                    options={
                        'db_table': 'health_triggerrule',
                        'ordering': ['-severity', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='EvaluationChunk',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('attempt', models.PositiveIntegerField()),
                        ('index', models.PositiveIntegerField()),
                        ('client_ids', models.JSONField()),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='flags.evaluationrun')),
                    ],
                    options={
                        'db_table': 'health_evaluationchunk',
                        'constraints': [models.UniqueConstraint(fields=('run', 'attempt', 'index'), name='one_chunk_per_slot')],
                    },
                ),
                migrations.CreateModel(
                    name='Flag',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200)),
                        ('severity', models.PositiveSmallIntegerField(choices=[(1, 'Low'), (2, 'Medium'), (3, 'High'), (4, 'Critical')], default=2)),
                        ('status', models.CharField(choices=[('open', 'Open'), ('snoozed', 'Snoozed'), ('resolved', 'Resolved'), ('dismissed', 'Dismissed')], default='open', max_length=10)),
                        ('evidence', models.TextField(help_text='Why, in words and numbers.')),
                        ('measure', models.FloatField(default=0, help_text="How bad, as one number (higher is worse): for 'until worse'.")),
                        ('data', models.JSONField(blank=True, default=dict)),
                        ('opened_on', models.DateField()),
                        ('last_seen_on', models.DateField()),
                        ('snoozed_until', models.DateField(blank=True, null=True)),
                        ('snooze_until_worse', models.BooleanField(default=False)),
                        ('snooze_measure', models.FloatField(blank=True, null=True)),
                        ('closed_on', models.DateField(blank=True, null=True)),
                        ('resolution', models.CharField(blank=True, choices=[('handled', 'Handled (call logged)'), ('cleared', 'Condition no longer holds'), ('dismissed', 'Dismissed as not useful')], max_length=10)),
                        ('resolution_note', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('assigned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='flags', to=settings.AUTH_USER_MODEL)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='flags', to='clients.client')),
                        ('created_by', models.ForeignKey(blank=True, help_text='Set for a flag raised by hand.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('interaction', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='flags', to='interactions.interaction')),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('rule', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='flags', to='flags.triggerrule')),
                    ],
                    options={
                        'db_table': 'health_flag',
                        'ordering': ['-severity', '-opened_on', 'pk'],
                        'indexes': [models.Index(fields=['assigned_to', 'status'], name='flag_assignee_status'), models.Index(fields=['client', 'status'], name='flag_client_status'), models.Index(fields=['rule', 'client', 'closed_on'], name='flag_rule_cooldown'), models.Index(fields=['opened_on'], name='flag_opened_on')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ['open', 'snoozed']), ('rule__isnull', False)), fields=('client', 'rule'), name='one_live_flag_per_client_rule')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
