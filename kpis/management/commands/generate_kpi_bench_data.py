"""Benchmark data on PostgreSQL: N clients with M KPIs over D days, generated inside the database."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from clients.models import Client, ClientStatus
from kpis import partitions
from kpis.models import Metric, MetricValue
from users.models import Role, Team, User


class Command(BaseCommand):
    help = "Create benchmark clients (external ids BENCH-000001…) and their daily KPI values (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=10_000)
        parser.add_argument("--days", type=int, default=180)
        parser.add_argument("--teams", type=int, default=4)
        parser.add_argument("--ams", type=int, default=40)

    def handle(self, *args, clients: int, days: int, teams: int, ams: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark data generator runs on PostgreSQL (set DATABASE_URL).")
        started = time.perf_counter()
        today = timezone.localdate()
        with transaction.atomic():
            team_objs = [Team.objects.get_or_create(name=f"Bench team {i + 1}")[0] for i in range(teams)]
            managers = []
            for i in range(ams):
                user, _ = User.objects.get_or_create(
                    username=f"bench_am_{i + 1:02d}",
                    defaults={"role": Role.ACCOUNT_MANAGER, "team": team_objs[i % teams], "first_name": f"AM {i + 1}"},
                )
                managers.append(user)
            for i, team in enumerate(team_objs):
                User.objects.get_or_create(
                    username=f"bench_lead_{i + 1}", defaults={"role": Role.TEAM_LEAD, "team": team}
                )
            existing = Client.objects.filter(external_id__startswith="BENCH-").count()
            rows = []
            for i in range(existing, clients):
                owner = managers[i % len(managers)]
                rows.append(
                    Client(
                        name=f"Bench client {i + 1:06d}",
                        external_id=f"BENCH-{i + 1:06d}",
                        status=ClientStatus.ACTIVE,
                        owner=owner,
                        team_id=owner.team_id,
                        arr=10_000 + (i * 37) % 500_000,
                        contract_start=today.replace(year=today.year - 1),
                        renewal_date=today.replace(year=today.year + 1) if i % 3 else today,
                        contact_cadence_days=(7, 14, 30)[i % 3],
                    )
                )
            Client.objects.bulk_create(rows, batch_size=5000)
        metrics = list(Metric.objects.filter(is_active=True).order_by("pk")[:5])
        table = MetricValue._meta.db_table
        partitions.ensure_months(first=today - dt.timedelta(days=days), last=today)  # months of the history
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE client_id IN "
                "(SELECT id FROM clients_client WHERE external_id LIKE 'BENCH-%%')"
            )
            for metric in metrics:
                # Deterministic pseudo-random values; one in five clients declines over the last 4 weeks.
                cursor.execute(
                    f"""
                    INSERT INTO {table} (client_id, metric_id, date, value, updated_at)
                    SELECT c.id, %s, d::date,
                           least(greatest(
                             round((50 + (c.id %% 97) + 20 * sin(c.id + extract(doy FROM d)))
                                   * CASE WHEN c.id %% 5 = 0 AND d > %s::date - 28 THEN 0.5 ELSE 1 END)::float8,
                             coalesce(%s, '-Infinity'::float8)), coalesce(%s, 'Infinity'::float8)),  -- the valid range
                           now()
                    FROM clients_client c
                    CROSS JOIN generate_series(%s::date - (%s - 1), %s::date, interval '1 day') AS d
                    WHERE c.external_id LIKE 'BENCH-%%'
                    """,
                    [metric.pk, today, metric.min_value, metric.max_value, today, days, today],
                )
            cursor.execute(f"ANALYZE {table}")
            cursor.execute(f"SELECT count(*) FROM {table}")
            total = cursor.fetchone()[0]
        self.stdout.write(
            f"{clients} clients, {len(metrics)} metrics, {days} days: "
            f"{total:,} values in {time.perf_counter() - started:.1f}s"
        )
