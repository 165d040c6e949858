"""Issue 16 benchmark: capture of 10,000 messages from a real IMAP server, senders matched against the
contacts of 10,000 clients.

Usage: .venv/bin/python bench/capture_bench.py [--clients 10000] [--messages 10000]
Needs PostgreSQL on 127.0.0.1:5432 (trust auth) and Dovecot (apt-get install dovecot-imapd). Creates and drops
its own database and its own Dovecot on a free port.

Figures: messages per second of the product's poller (parse, de-duplicate, thread, match, write the interaction
and move the mailbox state, one transaction per message), beside the lower bound measured in the same run: the
same messages fetched from the same server over one connection with no processing at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import imaplib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "crm_bench_capture"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
ENV = {
    **os.environ,
    "DATABASE_URL": DB_URL,
    "REDIS_URL": "",
    "DEBUG": "0",
    "DJANGO_SETTINGS_MODULE": "accounts_crm.settings",
}
PY = str(ROOT / ".venv" / "bin" / "python")


def sh(*args: str) -> None:
    subprocess.run(args, env=ENV, cwd=ROOT, check=True)


def django_setup() -> None:
    os.environ.update(ENV)
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(clients: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Clients with one contact each (its own domain) and 50 account managers; returns their addresses."""
    from clients.models import Client, ClientStatus, Contact
    from users.models import Role, Team, User

    team = Team.objects.create(name="Bench")
    ams = User.objects.bulk_create(
        User(username=f"am{i}", email=f"am{i}@ourco.example", role=Role.ACCOUNT_MANAGER, team=team) for i in range(50)
    )
    rows = Client.objects.bulk_create(
        Client(
            name=f"Client {i}",
            external_id=f"B-{i}",
            status=ClientStatus.ACTIVE,
            owner=ams[i % len(ams)],
            team=team,
        )
        for i in range(clients)
    )
    Contact.objects.bulk_create(
        Contact(client=client, first_name=f"Contact{i}", email=f"buyer{i}@client{i}.example")
        for i, client in enumerate(rows)
    )
    return [f"buyer{i}@client{i}.example" for i in range(clients)], [am.email for am in ams]


def build_messages(count: int, contacts: list[str], ams: list[str], rng: random.Random) -> list[bytes]:
    from capture.tests.mail import message

    messages = []
    start = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    for i in range(count):
        contact, am = rng.choice(contacts), rng.choice(ams)
        inbound = rng.random() < 0.6
        messages.append(
            message(
                sender=f"<{contact}>" if inbound else f"<{am}>",
                to=f"<{am}>" if inbound else f"<{contact}>",
                subject=rng.choice(["Renewal", "Invoice question", "Отчёт за месяц", "培训计划", "Meeting notes"]),
                body="Hello,\n\n" + "We need to talk about the next steps. " * rng.randint(2, 30) + "\n\n-- \nSig",
                message_id=f"<bench-{i}@bench.example>",
                date=start + dt.timedelta(minutes=i),
            )
        )
    return messages


def fetch_lower_bound(server, count: int) -> float:
    """Every message fetched whole from the same server over one connection, nothing done with it."""
    conn = imaplib.IMAP4("127.0.0.1", server.port, timeout=60)
    conn.login("crm", "bench-pass")
    conn.select("INBOX", readonly=True)
    started = time.perf_counter()
    fetched = 0
    for first in range(1, count + 1, 500):
        last = min(first + 499, count)
        _typ, data = conn.uid("FETCH", f"{first}:{last}", "(BODY.PEEK[])")
        fetched += sum(1 for item in data if isinstance(item, tuple))
    elapsed = time.perf_counter() - started
    conn.logout()
    assert fetched == count, fetched
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(16)

    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB)
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", DB)
    sh(PY, "manage.py", "migrate", "-v0")
    django_setup()
    from django.conf import settings

    import capture.tests.dovecot as dovecot_module
    from capture.imap import config_from_url, imap_poll
    from capture.models import CapturedMessage, CaptureStatus

    dovecot_module.PASSWORD = "bench-pass"
    server = dovecot_module.PrivateDovecot().start()
    try:
        contacts, ams = seed(args.clients, rng)
        messages = build_messages(args.messages, contacts, ams, rng)
        conn = imaplib.IMAP4("127.0.0.1", server.port, timeout=60)
        conn.login("crm", "bench-pass")
        started = time.perf_counter()
        for raw in messages:
            conn.append("INBOX", None, None, raw)
        append_seconds = time.perf_counter() - started
        conn.logout()

        fetch_seconds = fetch_lower_bound(server, args.messages)

        settings.CAPTURE_IMAP_BATCH = args.messages
        started = time.perf_counter()
        report = imap_poll(config=config_from_url(server.url()))
        capture_seconds = time.perf_counter() - started
        assert report.errors == [], report.errors
        filed = CapturedMessage.objects.filter(status=CaptureStatus.FILED).count()
    finally:
        server.destroy()
        from django.db import connections

        connections.close_all()
        sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB)

    result = {
        "date": dt.date.today().isoformat(),
        "clients": args.clients,
        "contacts": args.clients,
        "messages": args.messages,
        "captured": report.captured,
        "filed_to_a_client": filed,
        "capture_seconds": round(capture_seconds, 2),
        "capture_messages_per_second": round(args.messages / capture_seconds, 1),
        "lower_bound_fetch_seconds": round(fetch_seconds, 2),
        "lower_bound_messages_per_second": round(args.messages / fetch_seconds, 1),
        "ratio_to_lower_bound": round(capture_seconds / fetch_seconds, 1),
        "append_seconds_not_counted": round(append_seconds, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / "capture.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
