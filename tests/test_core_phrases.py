"""core.phrases: a stored sentence is written in the reader's language from its parameters, and falls back to the
text stored beside it when this version cannot write it."""

import pytest
from django.utils import translation

from core import phrases
from core.formats import format_money


@phrases.phrase_writer("tests.owed")
def _owed(p):
    return f"{p['who']} owes {format_money(p['amount'], p['currency'])}"


def test_a_phrase_is_written_when_shown_in_the_active_language():
    said = phrases.phrase("tests.owed", who="Acme", amount="12500", currency="EUR")
    assert phrases.render_default(said) == "Acme owes 12,500 EUR"
    with translation.override("ru"):
        assert phrases.render(said) == "Acme owes 12\xa0500 EUR"


def test_what_it_cannot_write_reads_as_the_stored_text():
    assert phrases.render({"key": "tests.retired", "params": {}}, fallback="stored") == "stored"
    assert phrases.render({"key": "tests.owed", "params": {"who": "Acme"}}, fallback="stored") == "stored"
    assert phrases.render("a hand-written reason", fallback="a hand-written reason") == "a hand-written reason"
    assert phrases.render(None) == ""


def test_keys_are_registered_once():
    with pytest.raises(KeyError):
        phrases.phrase("tests.never_registered")
    with pytest.raises(ValueError, match="Two writers"):
        phrases.phrase_writer("tests.owed")(lambda p: "another")
