"""Reads for review pages and panels."""

from __future__ import annotations

from typing import Any


def account_panel(*, client, user) -> dict[str, Any]:
    """What the client page shows about reviews and the account plan (filled in by the reviews feature)."""
    return {}
