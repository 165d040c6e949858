"""Database helpers every app may use."""

from __future__ import annotations

import zlib

from django.db import connection


def advisory_xact_lock(namespace: str, key: str) -> None:
    """Serialise, until the end of the current transaction, everyone working on the same ``key``.

    PostgreSQL only (an advisory transaction lock); SQLite already admits one writer at a time.
    Used where two parallel requests for the same idempotency key must not both create: the second
    one waits, then finds what the first one made.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [zlib.crc32(namespace.encode()) & 0x7FFFFFFF, zlib.crc32(key.encode()) & 0x7FFFFFFF],
        )
