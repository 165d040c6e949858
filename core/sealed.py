"""Secrets the product must be able to read back (an account manager's mailbox password), sealed at rest.

Fernet (AES-128-CBC + HMAC-SHA256) from the ``cryptography`` package. Keys: ``SEALING_KEYS`` (comma-separated
Fernet keys; the first seals, all open, so a key can be rotated), or, when unset, a key derived from
SECRET_KEY with HKDF, so a local checkout works with no set-up. Changing SECRET_KEY without SEALING_KEYS makes
sealed values unreadable: the owner is asked to enter them again.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SealBroken(Exception):
    """The sealed value cannot be opened with the configured keys (rotated away, or tampered with)."""


@cache
def _box(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"accounts-crm-sealed", info=b"v1").derive(
        secret_key.encode()
    )
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def _current() -> MultiFernet:
    return _box(tuple(settings.SEALING_KEYS), settings.SECRET_KEY)


def seal(text: str) -> str:
    return _current().encrypt(text.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SealBroken("the sealed value cannot be opened with the configured keys") from exc
