"""Import a sales CRM export (Salesforce Data Loader opportunities, HubSpot deals) from the shell.

Same rules as the upload page: all or nothing, idempotent, every bad line reported.
Exit code 0 when the file was imported (or would be, with --dry-run), 1 when it has errors.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from clients.importers import ImportReport, import_sales_export
from users.models import Role, Team, User


class Command(BaseCommand):
    help = (
        "Import a Salesforce Data Loader opportunities export or a HubSpot deals export (CSV): clients by "
        "external id, one handoff per Closed Won deal. Nothing is written if any line is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV export.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Import as this user (sales, team lead or admin). Default: the first active admin.",
        )
        parser.add_argument("--team", metavar="NAME", help="Address the new handoffs to this team.")

    def handle(self, *args, file: str, dry_run: bool, user: str | None, team: str | None, **options):
        by = self._user(user)
        to_team = self._team(team)
        data = self._read(Path(file))

        report = import_sales_export(data=data, by=by, dry_run=dry_run, to_team=to_team)

        self.stdout.write(self._summary(report))
        for line, message in report.errors:
            self.stderr.write(f"Line {line}: {message}" if line else message)
        if report.errors:
            raise CommandError(
                f"Nothing was imported: fix the {len(report.errors)} problem(s) listed and run the command again.",
                returncode=1,
            )
        if report.applied:
            self.stdout.write(self.style.SUCCESS("Imported."))

    def _user(self, username: str | None) -> User:
        if username:
            found = User.objects.filter(username=username, is_active=True).first()
            if found is None:
                raise CommandError(f"No active user {username!r}.")
            return found
        admin = User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True).order_by("pk").first()
        if admin is None:
            raise CommandError("No active admin to import as; name the importing user with --user USERNAME.")
        return admin

    def _team(self, name: str | None) -> Team | None:
        if not name:
            return None
        found = Team.objects.filter(name__iexact=name.strip()).first()
        if found is None:
            names = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No team {name!r} (teams: {names}).")
        return found

    def _read(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc

    @staticmethod
    def _summary(report: ImportReport) -> str:
        s = report.summary
        prefix = "Dry run, nothing written. " if report.dry_run else ""
        source = f"{report.source.title()} export" if report.source else "Export"
        return (
            f"{prefix}{source}: {s['rows']} rows; "
            f"{s['clients_created']} clients created, {s['clients_updated']} updated, "
            f"{s['clients_unchanged']} unchanged, {s['accounts_skipped']} accounts skipped (only lost or open deals); "
            f"{s['handoffs_created']} handoffs created, {s['handoffs_unchanged']} already there, "
            f"{s['handoffs_skipped']} skipped (client already managed); "
            f"{s['not_closed_won']} deals not closed won; {s['errors']} error{'' if s['errors'] == 1 else 's'}."
        )
