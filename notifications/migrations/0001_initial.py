import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Cast, Concat


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="notifications", model="notification").exists():
        ContentType.objects.filter(app_label="health", model="notification").update(app_label="notifications")


def link_to_flags(apps, schema_editor):
    """A notification pointed at its flag by a foreign key; it now carries the flag page's path."""
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.filter(flag__isnull=False).update(
        url=Concat(Value("/flags/"), Cast("flag_id", models.CharField()), Value("/"))
    )


def link_back_to_flags(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    for pk, url in Notification.objects.filter(url__startswith="/flags/").values_list("pk", "url").iterator():
        flag_id = url.strip("/").split("/")[-1]
        if flag_id.isdigit():
            Notification.objects.filter(pk=pk).update(flag_id=int(flag_id))


class Migration(migrations.Migration):
    """Notification moves from health (table kept), and links by URL instead of a key to flags.Flag,
    so that the notifications app sits below every app that notifies (DESIGN.md)."""

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("health", "0006_metric_value_composite_key"),
        ("flags", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("text", models.CharField(max_length=300)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "flag",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to="flags.flag",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "health_notification",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [models.Index(fields=["user", "read_at"], name="notification_user_unread")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, migrations.RunPython.noop),
        migrations.AddField(
            model_name="notification",
            name="url",
            field=models.CharField(
                blank=True, help_text="A local path to what it is about.", max_length=300, verbose_name="link"
            ),
        ),
        migrations.RunPython(link_to_flags, link_back_to_flags),
        migrations.RemoveField(model_name="notification", name="flag"),
        migrations.AlterField(
            model_name="notification",
            name="text",
            field=models.CharField(max_length=300, verbose_name="text"),
        ),
    ]
