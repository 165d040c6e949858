from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kpis import partitions, services


def _month(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError as exc:
        raise CommandError(f"{text!r} is not a month (YYYY-MM).") from exc


class Command(BaseCommand):
    help = (
        "The monthly partitions of the KPI values (PostgreSQL): list them (default), create the months ahead "
        "(--ensure), detach the months before one (--detach-before YYYY-MM; the tables stay), drop a detached one "
        "(--drop NAME)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ensure", action="store_true", help="Create this month and the months ahead now.")
        parser.add_argument("--detach-before", metavar="YYYY-MM", help="Detach every month before this one.")
        parser.add_argument("--drop", metavar="NAME", help="Drop a detached monthly table.")

    def handle(self, *args, ensure: bool, detach_before: str | None, drop: str | None, **options):
        if not partitions.is_partitioned():
            self.stdout.write("The KPI values table is not partitioned (SQLite, or not migrated yet): nothing to do.")
            return
        if ensure:
            done = services.metric_value_partitions_maintain(today=timezone.localdate())
            self.stdout.write(f"Created: {', '.join(done['created']) or 'none'}.")
            if done["detached"]:
                self.stdout.write(f"Detached (retention): {', '.join(done['detached'])}.")
        if detach_before:
            detached = partitions.detach_before(month=_month(detach_before))
            self.stdout.write(f"Detached: {', '.join(detached) or 'none'} (the tables stay; --drop NAME drops one).")
        if drop:
            try:
                partitions.drop_detached(drop)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Dropped {drop}.")
        for partition in partitions.partitions():
            label = partition.month.strftime("%Y-%m") if partition.month else "default (any other month)"
            self.stdout.write(f"{partition.name}\t{label}\t~{partition.rows_estimate} rows")
