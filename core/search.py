"""Search helpers: accent- and case-folding that the database and Python agree on, phone digits.

``Fold(expr)`` compiles to ``crm_fold(expr)``. On PostgreSQL ``crm_fold`` is an IMMUTABLE SQL
function over ``unaccent`` + ``lower`` created by a migration (so trigram GIN indexes can use it);
on SQLite it is the Python ``fold`` below, registered on every new connection
(``register_sqlite_functions``, connected from ``clients.apps``). So ``muller`` finds Müller on both.

A term of one or two letters matches the start of a word only (``StartsAWord``). Trigrams need three letters, so
on PostgreSQL ``crm_word_heads(text)`` (clients migration 0015) lists the first one and two letters of every folded word
and a GIN index over it answers ``crm_word_heads(text) @> ARRAY['mu']`` exactly; on SQLite the same test is the
Python ``starts_a_word``. ``SearchText`` joins several columns with spaces, so one index covers them all.
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import BooleanField, CharField, Func, TextField, Value

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


def starts_a_word(value: str | None, term: str) -> bool:
    """Does a whitespace-separated word of the folded ``value`` start with ``term`` (already folded)?"""
    return any(word.startswith(term) for word in (fold(value) or "").split())


# The longest term matched at the start of a word only (crm_word_heads keeps the first 1 and 2 letters of each word).
WORD_HEAD_LETTERS = 2


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


class SearchText(Func):
    """Columns joined by a space: ``(first_name || ' ' || last_name || ' ' || email)``, written exactly as the
    migration's index expressions are (a nullable column goes in ``Blank``: ``||`` with a NULL is NULL)."""

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()


class Blank(Func):
    """``COALESCE(column, '')``: a nullable column inside a ``SearchText``."""

    template = "COALESCE(%(expressions)s, '')"
    output_field = CharField()


class Unindexed(Func):
    """``(expression || '')``: sorts exactly as the column does, but the planner cannot read that order from the
    column's index. For a search ordered by name with a LIMIT, walking the name index and testing every row until
    enough match is a gamble on where the matches are (all at the end of the alphabet: every row read and tested);
    the search's own indexes find the matches, which are then sorted."""

    template = "(%(expressions)s || '')"
    output_field = TextField()


class StartsAWord(Func):
    """True when a word of the folded ``expression`` starts with ``term`` (folded, 1 or 2 letters), so "mu" finds
    Müller and Anna Müller, not Samuel. PostgreSQL: ``crm_word_heads(expression) @> ARRAY[term]``, served by a GIN
    index on ``crm_word_heads(...)`` of the same expression; SQLite: the Python ``crm_word_start``."""

    output_field = BooleanField()

    def __init__(self, expression, term: str):
        if not term or len(term) > WORD_HEAD_LETTERS:
            raise ValueError(f"StartsAWord takes 1 to {WORD_HEAD_LETTERS} letters, not {term!r}")
        super().__init__(expression, Value(term, output_field=TextField()))

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="crm_word_start", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        expression, term = self.get_source_expressions()
        expression_sql, expression_params = compiler.compile(expression)
        term_sql, term_params = compiler.compile(term)
        return f"crm_word_heads({expression_sql}) @> ARRAY[{term_sql}]::text[]", (*expression_params, *term_params)


def _word_start(value: str | None, term: str | None) -> bool:
    return starts_a_word(value, term or "")


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: give SQLite the same ``crm_fold`` (and word-start test) as PostgreSQL."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("crm_fold", 1, fold, deterministic=True)
        connection.connection.create_function("crm_word_start", 2, _word_start, deterministic=True)


def tel_href(value: str | None) -> str:
    """A tap-to-call link target: 'tel:+4930123' (the + kept when the number has one), '' without digits."""
    digits = phone_digits(value)
    if not digits:
        return ""
    return f"tel:{'+' if (value or '').strip().startswith('+') else ''}{digits}"
