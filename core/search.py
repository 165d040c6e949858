"""Search helpers: accent- and case-folding that the database and Python agree on, phone digits.

``Fold(expr)`` compiles to ``crm_fold(expr)``. On PostgreSQL ``crm_fold`` is an IMMUTABLE SQL
function over ``unaccent`` + ``lower`` created by a migration (so trigram GIN indexes can use it);
on SQLite it is the Python ``fold`` below, registered on every new connection
(``register_sqlite_functions``, connected from ``clients.apps``). So ``muller`` finds Müller on both.
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import CharField, Func

# Letters that Unicode does not decompose into a base letter + accent, folded the way unaccent does.
_SPECIAL = str.maketrans({"ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"})

# The number of trailing digits that identify a phone number whatever the prefix (+49 / 0049 / 0).
PHONE_MATCH_DIGITS = 9


def fold(value: str | None) -> str | None:
    """Lower case without accents: 'Müller' -> 'muller', 'Ærøskøbing' -> 'aeroskobing'."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(value).lower().translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def phone_digits(value: str | None) -> str:
    """The digits of a phone number, whatever its format: '+49 (30) 123-45 67' -> '4930123 4567' without spaces."""
    return re.sub(r"\D", "", value or "")


def phone_e164(value: str | None, *, region: str | None = None) -> str:
    """The number in E.164 ('+49 (30) 123-45 67' -> '+49301234567'), '' when it cannot be read as a possible
    number. Without a leading + (or 00) the number is read in ``region`` (settings.PHONE_DEFAULT_REGION)."""
    import phonenumbers
    from django.conf import settings

    text = (value or "").strip()
    if not text:
        return ""
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else (region or settings.PHONE_DEFAULT_REGION))
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_is_impossible(value: str | None) -> bool:
    """A number written in international form (+…) that no country's numbering plan allows."""
    text = (value or "").strip()
    return text.startswith(("+", "00")) and not phone_e164(text)


class Fold(Func):
    function = "crm_fold"
    output_field = CharField()


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: give SQLite the same ``crm_fold`` as the PostgreSQL migration."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("crm_fold", 1, fold, deterministic=True)


def tel_href(value: str | None) -> str:
    """A tap-to-call link target: 'tel:+4930123' (the + kept when the number has one), '' without digits."""
    digits = phone_digits(value)
    if not digits:
        return ""
    return f"tel:{'+' if (value or '').strip().startswith('+') else ''}{digits}"
