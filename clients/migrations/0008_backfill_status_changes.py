"""One lifecycle row per existing client: its current status, effective since the audit history says it took it.

The effective day is the first history row of the last unbroken run of the current status (the client's creation
when the history has no row at all); the row says it was recorded from the history.
"""

from django.db import migrations
from django.utils import timezone

REASON = "Recorded from the audit history when the dated lifecycle was introduced."


def backfill(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    HistoricalClient = apps.get_model("clients", "HistoricalClient")
    ClientStatusChange = apps.get_model("clients", "ClientStatusChange")
    done = set(ClientStatusChange.objects.values_list("client_id", flat=True))
    rows = []
    for client in Client.objects.exclude(pk__in=done).only("pk", "status", "created_at").iterator(chunk_size=2000):
        since = client.created_at
        for status, when in (
            HistoricalClient.objects.filter(id=client.pk).order_by("-history_date", "-history_id")
            .values_list("status", "history_date")
        ):  # fmt: skip
            if status != client.status:
                break
            since = when
        rows.append(
            ClientStatusChange(
                client_id=client.pk, status=client.status, effective_on=timezone.localtime(since).date(), reason=REASON, created_at=since
            )
        )
        if len(rows) >= 2000:
            ClientStatusChange.objects.bulk_create(rows)
            rows = []
    ClientStatusChange.objects.bulk_create(rows)


def forget(apps, schema_editor):
    apps.get_model("clients", "ClientStatusChange").objects.filter(reason=REASON).delete()


class Migration(migrations.Migration):
    dependencies = [("clients", "0007_client_status_change")]

    operations = [migrations.RunPython(backfill, forget)]
