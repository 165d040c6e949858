import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from flags import digest, evaluation, tasks


class Command(BaseCommand):
    help = "Score all clients and evaluate every active trigger rule for a day (default: today)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--queue", action="store_true", help="Dispatch to the Celery workers instead of running here."
        )

    def handle(self, *args, date: str | None, queue: bool, **options):
        try:
            day = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date {date!r} is not YYYY-MM-DD.") from exc
        if queue:
            try:
                tasks.run_daily_evaluation.delay(day.isoformat())
            except Exception as exc:  # the broker is unreachable: say so plainly, the caller retries
                raise CommandError(
                    f"Could not queue the evaluation of {day}: the broker is unreachable ({exc})."
                ) from exc
            self.stdout.write(f"Evaluation of {day} queued.")
            return
        run = evaluation.evaluate_day_inline(on_date=day)
        if run is None:
            raise CommandError(f"An evaluation of {day} is already running.")
        # As the workers do when a run's last chunk finishes: the digests, once per user and day.
        sent = digest.send_daily_digests(on_date=day)
        self.stdout.write(
            f"{day}: {run.clients} clients, {run.flags_opened} flags opened, {run.flags_closed} closed, "
            f"{len(run.errors)} errors, {run.duration_seconds or 0:.1f}s; {sent} digest e-mail(s) sent."
        )
