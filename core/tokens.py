"""Secret tokens carried in URLs (a shared plan link, a survey answer link, a private calendar feed): made random,
stored only as their SHA-256 hash, looked up by that hash. The one home of this; every app that hands out such a
link calls it."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits of randomness
MAX_TOKEN_LENGTH = 100  # longer strings are not ours: refused before hashing


def token_digest(token: str) -> str:
    """The hash stored in place of the token (hex SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_new() -> tuple[str, str]:
    """A fresh URL-safe token and its digest: give out the first, store the second."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_digest(token)


def token_lookup_digest(token: str | None) -> str | None:
    """The digest to look a token up by, or None for input that cannot be one of ours (empty, too long)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token_digest(token)
