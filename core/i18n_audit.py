"""Checks that keep the product translatable: text in templates outside a translation tag, and
catalogue entries that are untranslated or fuzzy.

Used by ``manage.py check_translations`` (and the test that will guard the finished catalogues), so a
page that ships English words to a Russian or Chinese reader is caught before it lands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polib

# Attributes a person reads (or hears through a screen reader).
VISIBLE_ATTRIBUTES = frozenset(
    {"title", "placeholder", "aria-label", "alt", "data-confirm", "label", "aria-description"}
)
_HIDDEN_ELEMENTS = frozenset({"script", "style"})

# Whole blocks whose content is translated or not shown; removed before the scan, newlines kept so
# reported line numbers stay true.
_BLOCKS = re.compile(
    r"{%\s*(blocktranslate|blocktrans|comment|verbatim)\b.*?%}.*?{%\s*end\1\s*%}",
    re.DOTALL,
)
_TEMPLATE_SYNTAX = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_ENTITY = re.compile(r"&[a-zA-Z]+;|&#\d+;|&#x[0-9a-fA-F]+;")


@dataclass(frozen=True)
class UntaggedText:
    path: str
    line: int
    text: str


def _blank_out(match: re.Match[str]) -> str:
    # Keep the line count; the placeholder stands for "something dynamic" and is not a letter.
    return "\x00" + "\n" * match.group(0).count("\n")


def _has_words(text: str) -> bool:
    text = _ENTITY.sub(" ", text.replace("\x00", " "))
    return bool(_LETTER.search(text))


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self._hidden_depth += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and _has_words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip().replace(chr(0), "…")}"'))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and _has_words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip().replace(chr(0), "…")}"'))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_ELEMENTS and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth and _has_words(data):
            self.found.append((self.getpos()[0], " ".join(data.replace("\x00", "…").split())))


def untagged_text(source: str, *, path: str = "") -> list[UntaggedText]:
    """User-visible words in a template that no translation tag covers."""
    stripped = _BLOCKS.sub(_blank_out, source)
    stripped = _TEMPLATE_SYNTAX.sub(_blank_out, stripped)
    collector = _TextCollector()
    collector.feed(stripped)
    collector.close()
    return [UntaggedText(path=path, line=line, text=text) for line, text in collector.found]


def untagged_text_in(template_dirs: list[Path]) -> list[UntaggedText]:
    found: list[UntaggedText] = []
    for directory in template_dirs:
        for template in sorted(directory.rglob("*.html")):
            found.extend(untagged_text(template.read_text(encoding="utf-8"), path=str(template)))
    return found


@dataclass(frozen=True)
class CatalogueGap:
    path: str
    msgid: str
    reason: str  # "untranslated" or "fuzzy"


def catalogue_gaps(po_path: Path) -> list[CatalogueGap]:
    """Entries of one .po file a reader would see in English (or wrongly): untranslated or fuzzy."""
    catalogue = polib.pofile(str(po_path))
    gaps = [
        CatalogueGap(str(po_path), entry.msgid, "fuzzy") for entry in catalogue.fuzzy_entries() if not entry.obsolete
    ]
    gaps += [
        CatalogueGap(str(po_path), entry.msgid, "untranslated")
        for entry in catalogue.untranslated_entries()
        if not entry.obsolete
    ]
    return gaps
