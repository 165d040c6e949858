"""Sentences the product writes once and shows for weeks, in the reader's language.

A flag's evidence or a health component's explanation is written by the morning run and read later by people who
read different languages (a flag opened for a Russian-speaking AM and reassigned to an English-speaking one). So
it is kept as a *phrase*: a key and its parameters (plain JSON: numbers, days, names), turned into words only when
shown, in the language active then. Each app registers the writers of its keys (``@phrase_writer("flags.…")``);
a writer builds the sentence from one translatable template with named placeholders, never by gluing words.

The text in the default language is still stored beside a phrase (search, exports for machines, records written
before phrases existed), and ``render`` falls back to it for a key it does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils import translation

Phrase = dict[str, Any]  # {"key": "flags.kpi_drop", "params": {...}}
Writer = Callable[[Mapping[str, Any]], str]

_WRITERS: dict[str, Writer] = {}


def phrase_writer(key: str) -> Callable[[Writer], Writer]:
    """Register the function that turns the parameters of ``key`` into a sentence (in the active language)."""

    def register(writer: Writer) -> Writer:
        if _WRITERS.get(key) not in (None, writer):
            raise ValueError(f"Two writers for the phrase {key!r}.")
        _WRITERS[key] = writer
        return writer

    return register


def phrase(key: str, **params: Any) -> Phrase:
    if key not in _WRITERS:
        raise KeyError(f"No writer registered for the phrase {key!r}.")
    return {"key": key, "params": params}


def is_phrase(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("key"), str) and "params" in value


def render(said: Any, *, fallback: str = "") -> str:
    """The phrase in the active language; ``fallback`` (the stored text) for anything that is not a phrase this
    version can write (a hand-written text, a key retired since, parameters of an older shape)."""
    if not is_phrase(said):
        return fallback
    writer = _WRITERS.get(said["key"])
    if writer is None:
        return fallback
    try:
        return writer(said["params"] or {})
    except (KeyError, TypeError, ValueError):
        return fallback


def render_default(said: Phrase) -> str:
    """The phrase in the product's default language: the text stored beside it."""
    with translation.override(settings.LANGUAGE_CODE):
        return render(said)
