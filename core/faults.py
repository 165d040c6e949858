"""Fault injection for the fault tests (tests/faults, bench): off unless the environment asks.

``CRM_FAULT_CRASH_AT=<point>`` with ``CRM_FAULT_MARKER=<path>`` makes the process die abruptly
(like a SIGKILL) the first time it reaches that point; the marker file keeps it to once.
"""

import os


def maybe_crash(point: str) -> None:
    if os.environ.get("CRM_FAULT_CRASH_AT") != point:
        return
    marker = os.environ.get("CRM_FAULT_MARKER")
    if not marker or os.path.exists(marker):
        return
    with open(marker, "w") as handle:
        handle.write(point)
    os._exit(137)


def maybe_drop_database_connection(point: str, connection) -> None:
    """``CRM_FAULT_DROP_DB_AT=<point>`` (+ ``CRM_FAULT_MARKER``): the database ends this session once (PostgreSQL),
    as a restart or a network cut would; the next query fails with a real OperationalError."""
    if os.environ.get("CRM_FAULT_DROP_DB_AT") != point or connection.vendor != "postgresql":
        return
    marker = os.environ.get("CRM_FAULT_MARKER")
    if not marker or os.path.exists(marker):
        return
    with open(marker, "w") as handle:
        handle.write(point)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
