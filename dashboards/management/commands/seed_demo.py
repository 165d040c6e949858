from django.core.management.base import BaseCommand

from dashboards.demo_data import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Load demo teams, users of every role, clients, contacts and handoffs (skipped if already loaded)."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=330, help="How many clients (max 600).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed, for repeatable data.")

    def handle(self, *args, clients: int, seed: int, **options):
        if not 1 <= clients <= 600:
            self.stderr.write("--clients must be between 1 and 600.")
            raise SystemExit(2)
        result = seed_demo(clients=clients, seed=seed)
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data loaded: {result.clients} clients, {result.contacts} contacts, "
                    f"{result.handoffs} handoffs."
                )
            )
        else:
            self.stdout.write(f"Demo data already present ({result.clients} clients); nothing changed.")
        self.stdout.write(f"\nLogins (password for all: {DEMO_PASSWORD})")
        for username, role, team in demo_logins():
            self.stdout.write(f"  {username:<12} {role:<16} {team}")
