"""An existing database upgrades in place across the split of the health app (kpis, health, flags,
notifications): every row written under the previous schema is still there, unchanged, afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE_SPLIT = [
    ("health", "0006_metric_value_composite_key"),
    ("kpis", None),
    ("flags", None),
    ("notifications", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    known = [target for target in targets if target[1] is not None]
    return executor.loader.project_state(known).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_split_of_the_health_app_keeps_every_row():
    latest = _latest()
    try:
        old = _migrate(BEFORE_SPLIT)
        day = dt.date(2026, 11, 20)
        now = timezone.now()
        User = old.get_model("users", "User")
        Client = old.get_model("clients", "Client")
        am = User.objects.create(username="am_old", role="am")
        client = Client.objects.create(name="Old Co", external_id="OLD-1", contact_cadence_days=14, owner=am)
        Metric = old.get_model("health", "Metric")
        orders = Metric.objects.create(key="old_orders", name="Orders (old)", aggregation="sum")
        MetricValue = old.get_model("health", "MetricValue")
        MetricValue.objects.bulk_create(
            [
                MetricValue(client=client, metric=orders, date=day - dt.timedelta(days=i), value=10.0 + i)
                for i in range(5)
            ]
        )
        HealthModel = old.get_model("health", "HealthModel")
        model = HealthModel.objects.create(version=99, name="Old model", components=[], is_active=False)
        HealthScore = old.get_model("health", "HealthScore")
        HealthScore.objects.create(
            client=client, date=day, model=model, score=55.0, band="yellow", coverage=0.5, components=[]
        )
        TriggerRule = old.get_model("health", "TriggerRule")
        rule = TriggerRule.objects.create(name="Old rule", kind="no_contact", params={"days": 30})
        Flag = old.get_model("health", "Flag")
        flag = Flag.objects.create(
            client=client, rule=rule, title="Call them", evidence="No contact for 40 days", assigned_to=am,
            opened_on=day, last_seen_on=day,
        )  # fmt: skip
        EvaluationRun = old.get_model("health", "EvaluationRun")
        run = EvaluationRun.objects.create(date=day, status="done", started_at=now, clients=1, flags_opened=1)
        EvaluationChunk = old.get_model("health", "EvaluationChunk")
        EvaluationChunk.objects.create(run=run, attempt=1, index=0, client_ids=[client.pk], done_at=now)
        Notification = old.get_model("health", "Notification")
        linked = Notification.objects.create(user=am, flag=flag, text="Old Co needs a call")
        plain = Notification.objects.create(user=am, text="Digest sent")

        _migrate(latest)

        from flags.models import EvaluationChunk as NewChunk
        from flags.models import EvaluationRun as NewRun
        from flags.models import Flag as NewFlag
        from flags.models import TriggerRule as NewRule
        from health.models import HealthScore as NewScore
        from kpis.models import Metric as NewMetric
        from kpis.models import MetricValue as NewValue
        from notifications.models import Notification as NewNotification

        assert NewMetric.objects.get(pk=orders.pk).key == "old_orders"
        assert sorted(NewValue.objects.filter(client_id=client.pk).values_list("date", "value")) == [
            (day - dt.timedelta(days=i), 10.0 + i) for i in reversed(range(5))
        ]
        assert NewScore.objects.get(client_id=client.pk, date=day).score == 55.0
        assert NewRule.objects.get(pk=rule.pk).params == {"days": 30}
        moved_flag = NewFlag.objects.get(pk=flag.pk)
        assert (moved_flag.rule_id, moved_flag.client_id, moved_flag.assigned_to_id) == (rule.pk, client.pk, am.pk)
        assert NewRun.objects.get(pk=run.pk).flags_opened == 1
        assert NewChunk.objects.get(run_id=run.pk).client_ids == [client.pk]
        assert NewNotification.objects.get(pk=linked.pk).url == f"/flags/{flag.pk}/"
        assert NewNotification.objects.get(pk=plain.pk).url == ""
        assert NewNotification.objects.filter(user_id=am.pk).count() == 2

        from django.contrib.contenttypes.models import ContentType

        labels = dict(
            ContentType.objects.filter(model__in=["metric", "flag", "notification"]).values_list("model", "app_label")
        )
        assert labels == {"metric": "kpis", "flag": "flags", "notification": "notifications"}
    finally:
        _migrate(latest)


@pytest.mark.django_db(transaction=True)
def test_the_lifecycle_is_backfilled_from_the_audit_history():
    """One status row per existing client: its current status, effective since the history says it took it."""
    latest = _latest()
    try:
        old = _migrate([("clients", "0007_client_status_change")])
        Client = old.get_model("clients", "Client")
        HistoricalClient = old.get_model("clients", "HistoricalClient")
        paused = Client.objects.create(name="Paused Co", status="paused")
        quiet = Client.objects.create(name="No History", status="active")
        for when, status in ((dt.datetime(2026, 1, 5, 9), "onboarding"), (dt.datetime(2026, 3, 2, 9), "paused"),
                             (dt.datetime(2026, 4, 1, 9), "paused")):  # fmt: skip
            HistoricalClient.objects.create(
                id=paused.pk, name=paused.name, status=status, history_date=timezone.make_aware(when),
                history_type="~", contact_cadence_days=30, arr=0, currency="EUR", segment="smb", version=1,
                created_at=paused.created_at, updated_at=paused.created_at, is_key_account=False,
                preferred_channel="email",
            )  # fmt: skip
        new = _migrate([("clients", "0008_backfill_status_changes")])
        rows = new.get_model("clients", "ClientStatusChange").objects.order_by("client_id")
        assert [(r.client_id, r.status, r.effective_on) for r in rows] == [
            (paused.pk, "paused", dt.date(2026, 3, 2)),
            (quiet.pk, "active", timezone.localtime(quiet.created_at).date()),
        ]
    finally:
        _migrate(latest)
