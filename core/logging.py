"""Log formatting: every line carries the request id, and in Celery tasks the task id and name.

``ContextFilter`` (on the handler) copies them from ``core.observability`` onto each record;
``TextFormatter`` writes a readable line for a terminal, ``JsonFormatter`` one JSON object per line
for a log collector (``LOG_FORMAT=json``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from core.observability import current_context

CONTEXT_FIELDS = ("request_id", "task_id", "task_name")
# Attributes every LogRecord has; anything else was passed with ``extra=`` and goes into the JSON line.
_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "context", *CONTEXT_FIELDS}


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in current_context().items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        return True


class TextFormatter(logging.Formatter):
    """``2026-01-05 09:12:01,123 INFO clients.services [request_id=ab12…] message``."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, **kwargs):
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s%(context)s %(message)s", datefmt, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        parts = [f"{key}={getattr(record, key)}" for key in CONTEXT_FIELDS if getattr(record, key, None)]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            entry[key] = getattr(record, key, None)
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and isinstance(value, str | int | float | bool):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
