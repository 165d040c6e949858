"""``manage.py capture_idle``: hold an IMAP IDLE connection to the capture mailbox so new mail lands within
seconds (one small process beside the workers; the beat poll stays as the safety net)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from capture import imap


class Command(BaseCommand):
    help = "Wait for new mail with IMAP IDLE and capture it as it arrives (needs IMAP_URL)."

    def handle(self, *args, **options) -> None:
        config = imap.configured()
        if config is None:
            raise CommandError("IMAP_URL is not set: there is no mailbox to wait on.")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Waiting for mail in {config.account} {config.mailboxes[0]} (IDLE); Ctrl+C to stop.")
        imap.imap_idle_loop(
            config=config,
            stop=stop,
            on_report=lambda report: report.captured and self.stdout.write(f"{report.captured} captured"),
        )
