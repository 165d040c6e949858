"""Issue 13 benchmark: the global search (the top bar's dropdown) at 10,000 clients and 50,000 contacts.

Its own PostgreSQL database (created, migrated, seeded and dropped again), so the migration's unaccent + pg_trgm
indexes are the ones measured. The search is timed where it costs, in ``dashboards.selectors.global_search`` (the
dropdown's two queries, clients and contacts, as an admin who sees everything: the widest scope), for queries
of 2 letters, 6 letters and a caller id in another format than the one stored. Target: p95 < 100 ms.

Usage: .venv/bin/python bench/search_bench.py [--clients 10000] [--contacts 50000] [--runs 200] [--keep]
Writes bench/results/search.json (with the machine's load average before and after: the figures are only
comparable on an idle machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "crm_bench_search"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
ENV = {**os.environ, "DATABASE_URL": DB_URL, "DEBUG": "0", "DJANGO_SETTINGS_MODULE": "accounts_crm.settings"}
ENV.pop("REDIS_URL", None)  # nothing is queued here
PY = str(ROOT / ".venv" / "bin" / "python")
TARGET_MS = 100.0

FIRST = [
    "Jörg",
    "Anaïs",
    "Zoë",
    "Łukasz",
    "Søren",
    "José",
    "Müge",
    "Ana",
    "Björn",
    "Chloé",
    "Dmitri",
    "Emma",
    "François",
    "Gülşen",
    "Hans",
    "Inès",
    "Jan",
    "Kai",
    "Léa",
    "Marta",
    "Noël",
    "Olga",
    "Paulo",
    "Renée",
]
LAST = [
    "Müller",
    "Çelik",
    "Núñez",
    "Dvořák",
    "Åberg",
    "Schröder",
    "Østergaard",
    "García",
    "Lefèvre",
    "Kowalski",
    "Smith",
    "Rossi",
    "Novák",
    "Jensen",
    "Weiß",
    "Durand",
    "Moreau",
    "Silva",
    "Haddad",
    "Ivanova",
    "Tanaka",
]
WORDS = [
    "Nordwind",
    "Sonnenhof",
    "Café",
    "Élan",
    "Bäckerei",
    "Logistik",
    "Systems",
    "Group",
    "Møbler",
    "Straße",
    "Industries",
    "Ōkami",
    "Atelier",
    "Partners",
    "Holding",
    "Québec",
    "Zürich",
    "Digital",
    "Foods",
    "Retail",
]


def sh(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=ENV, cwd=ROOT, check=True, text=True, **kwargs)


def setup_database() -> None:
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB)
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", DB)
    sh(PY, "manage.py", "migrate", "-v0")


def django_setup() -> None:
    os.environ.update(ENV)
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(clients: int, contacts: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Clients with accented names and SF-style ids, contacts with names, e-mails and phones in several national
    and international formats (phone_digits and phone_e164 as the services keep them). Returns the names and
    stored phones, to draw queries from."""
    from clients.models import Client, Contact
    from core.search import phone_digits, phone_e164
    from users.models import Role, Team, User

    team = Team.objects.create(name="Bench")
    owner = User.objects.create_user("bench_am", password="x", role=Role.ACCOUNT_MANAGER, team=team)
    names = [f"{rng.choice(WORDS)} {rng.choice(WORDS)} {n}" for n in range(clients)]
    Client.objects.bulk_create(
        [
            Client(name=name, external_id=f"SF-{n:07d}", owner=owner, team=team, status="active", currency="EUR")
            for n, name in enumerate(names)
        ],
        batch_size=2000,
    )
    client_ids = list(Client.objects.values_list("pk", flat=True))
    phones, rows = [], []
    for n in range(contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        number = f"30{rng.randrange(10**6, 10**7)}"
        formats = [f"+49 {number[:2]} {number[2:]}", f"+49 (0){number[:2]} {number[2:5]} {number[5:]}", f"0049{number}"]
        phone = rng.choice(formats)
        phones.append(phone)
        rows.append(
            Contact(
                client_id=rng.choice(client_ids),
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{n}@example.com",
                phone=phone,
                phone_digits=phone_digits(phone),
                phone_e164=phone_e164(phone),
                role="user",
            )
        )
    Contact.objects.bulk_create(rows, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clients_client")
        cursor.execute("ANALYZE clients_contact")
    return names, phones


def _as_caller_id(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit()).removeprefix("00")
    if digits.startswith("490"):  # +49 (0)30 …: the trunk 0 is not dialled from abroad
        digits = "49" + digits[3:]
    return "+" + digits


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_queries(user, queries: list[str]) -> dict:
    from dashboards.selectors import global_search

    global_search(user=user, query=queries[0])  # warm the connection and the plan cache
    timings, found = [], 0
    for query in queries:
        started = time.perf_counter()
        results = global_search(user=user, query=query)
        timings.append((time.perf_counter() - started) * 1000)
        found += bool(results.clients or results.contacts)
    return {
        "runs": len(queries),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "found_share": round(found / len(queries), 3),
        "under_target": percentile(timings, 0.95) < TARGET_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    rng = random.Random(13)
    load_before = os.getloadavg()
    print(f"Creating {DB} and migrating…")
    setup_database()
    django_setup()
    started = time.perf_counter()
    _names, phones = seed(args.clients, args.contacts, rng)
    seeded_s = time.perf_counter() - started
    print(f"Seeded {args.clients} clients and {args.contacts} contacts in {seeded_s:.1f} s")

    from core.search import fold
    from users.models import Role, User

    admin = User.objects.create_user("bench_admin", password="x", role=Role.ADMIN)
    people = FIRST + LAST
    two = [fold(rng.choice(people + WORDS))[:2] for _ in range(args.runs)]
    six = [fold(rng.choice([w for w in people + WORDS if len(w) >= 6]))[:6] for _ in range(args.runs)]
    # A caller id as a phone system shows it (E.164), against numbers stored in other formats.
    caller = [_as_caller_id(p) for p in rng.sample(phones, args.runs)]
    results = {
        "two_letters": time_queries(admin, two),
        "six_letters": time_queries(admin, six),
        "phone_number": time_queries(admin, caller),
    }
    load_after = os.getloadavg()
    report = {
        "benchmark": "global search dropdown (dashboards.selectors.global_search), PostgreSQL, unaccent + pg_trgm",
        "clients": args.clients,
        "contacts": args.contacts,
        "target_p95_ms": TARGET_MS,
        "results": results,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
        "cpu_count": os.cpu_count(),
        "seed_seconds": round(seeded_s, 1),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = ROOT / "bench" / "results" / "search.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    for name, figures in results.items():
        print(f"{name:>13}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, found {figures['found_share']:.0%}")
    print(f"load average {load_before} -> {load_after}; written to {out}")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB)


if __name__ == "__main__":
    main()
