"""``@username`` in a text: who is mentioned, and the words around the mention (pure, no database)."""

from __future__ import annotations

import re

# A username as Django allows it (letters, digits, @ . + - _), not preceded by a word character (an e-mail
# address "bob@example.com" mentions nobody); a trailing full stop or comma ends the sentence, not the name.
MENTION = re.compile(r"(?<![\w.+-])@([\w.+-]*[\w+-])", re.UNICODE)


def mentioned_usernames(text: str) -> list[str]:
    """The usernames mentioned in ``text``, in order, each once (case kept; match them case-insensitively)."""
    seen: dict[str, str] = {}
    for match in MENTION.finditer(text or ""):
        seen.setdefault(match.group(1).lower(), match.group(1))
    return list(seen.values())


def excerpt(text: str, username: str, *, width: int = 140) -> str:
    """The words around the first mention of ``username``, shortened to about ``width`` characters."""
    text = " ".join((text or "").split())
    at = text.lower().find("@" + username.lower())
    if len(text) <= width:
        return text
    start = max(0, at - width // 3) if at >= 0 else 0
    piece = text[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")
