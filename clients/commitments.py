"""Commitments made during the sale: a small list of {text, due_date} kept on the handoff."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

_LEADING_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*[:\-–—]?\s*(.*)$")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+\s*")
MAX_COMMITMENTS = 50
MAX_TEXT = 500


def parse_commitment_lines(text: str) -> list[dict]:
    """One commitment per line, optionally starting with its due date: ``2026-12-01 Data migration``."""
    commitments: list[dict] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        due: str | None = None
        match = _LEADING_DATE.match(line)
        if match:
            try:
                due = dt.date.fromisoformat(match.group(1)).isoformat()
            except ValueError:
                errors.append(
                    _("Line %(line)s: %(date)s is not a valid date (use YYYY-MM-DD).")
                    % {"line": number, "date": match.group(1)}
                )
                continue
            line = match.group(2).strip()
            if not line:
                errors.append(_("Line %(line)s: a date without a description.") % {"line": number})
                continue
        commitments.append({"text": line, "due_date": due})
    if errors:
        raise ValidationError(errors)
    return normalise_commitments(commitments)


def normalise_commitments(items: object) -> list[dict]:
    """Validate the list shape (API input, imports) and return it in canonical form."""
    if not isinstance(items, list):
        raise ValidationError(_("Commitments must be a list."))
    if len(items) > MAX_COMMITMENTS:
        raise ValidationError(
            ngettext(
                "At most %(count)s commitment per handoff.",
                "At most %(count)s commitments per handoff.",
                MAX_COMMITMENTS,
            )
            % {"count": MAX_COMMITMENTS}
        )
    result: list[dict] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, dict):
            raise ValidationError(
                _("Commitment %(number)s: expected an object with 'text' and 'due_date'.") % {"number": index}
            )
        # One commitment is one line: the edit form shows one per line and would split it otherwise.
        text = _LINE_BREAKS.sub(" ", str(item.get("text") or "")).strip()
        if not text:
            raise ValidationError(_("Commitment %(number)s: the text is empty.") % {"number": index})
        if len(text) > MAX_TEXT:
            raise ValidationError(
                ngettext(
                    "Commitment %(number)s: keep it under %(limit)s character.",
                    "Commitment %(number)s: keep it under %(limit)s characters.",
                    MAX_TEXT,
                )
                % {"number": index, "limit": MAX_TEXT}
            )
        due = item.get("due_date")
        if due in ("", None):
            due = None
        else:
            try:
                due = dt.date.fromisoformat(str(due)).isoformat()
            except ValueError as exc:
                raise ValidationError(
                    _("Commitment %(number)s: due_date must be YYYY-MM-DD.") % {"number": index}
                ) from exc
        result.append({"text": text, "due_date": due})
    return result


def format_commitment_lines(items: list[dict]) -> str:
    return "\n".join(f"{item['due_date']} {item['text']}" if item.get("due_date") else item["text"] for item in items)
