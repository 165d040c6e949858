from django.core.management.base import BaseCommand, CommandError

from kpis import csv_import as kpi_csv
from kpis import services


class Command(BaseCommand):
    help = (
        "Import daily KPI values from a CSV file with the columns client_external_id (or client_id), metric, "
        "date, value. All or nothing; importing the same file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and roll back.")
        parser.add_argument("--no-rescore", action="store_true", help="Do not re-score the affected clients.")

    def handle(self, *args, path: str, dry_run: bool, no_rescore: bool, **options):
        try:
            with kpi_csv.open_text(path) as stream:
                result = services.metric_values_import_csv(stream=stream, dry_run=dry_run, rescore=not no_rescore)
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {path}") from exc
        except (kpi_csv.KpiFileError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            for line in result.errors:
                self.stderr.write(line)
            more = result.error_count - len(result.errors)
            if more > 0:
                self.stderr.write(f"… and {more} more bad rows.")
            raise CommandError(f"{result.error_count} bad row(s) in {result.rows}; nothing was imported.")
        verb = "would write" if dry_run else "written"
        self.stdout.write(self.style.SUCCESS(f"{result.rows} rows read, {result.written} values {verb}."))
        if result.held:
            held = "would be held" if dry_run else "held for review (admin: Quarantined KPI values)"
            self.stdout.write(f"{len(result.held)} sudden outlier(s) {held}, not scored.")
        if not dry_run and not no_rescore and result.written and result.latest_date:
            self.stdout.write(f"Re-scoring {len(result.client_ids)} clients for {result.latest_date}.")
