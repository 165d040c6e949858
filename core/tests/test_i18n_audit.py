"""The translation audit finds English words a reader would see untranslated, and nothing else."""

from __future__ import annotations

from pathlib import Path

import polib

from core.i18n_audit import catalogue_gaps, untagged_text


def test_untagged_text_finds_words_and_reader_facing_attributes():
    source = """{% load i18n %}
<h1>Clients</h1>
<input placeholder="Search clients" aria-label="{% translate 'Search' %}">
<p>{% translate "Tagged" %} {{ client.name }} · 42</p>
<p>{% blocktranslate count n=n %}One flag{% plural %}{{ n }} flags{% endblocktranslate %}</p>
{% comment %}Not shown{% endcomment %}
<script>const label = "not for readers";</script>
<img alt="Logo">
"""
    found = [(item.line, item.text) for item in untagged_text(source)]
    assert found == [(2, "Clients"), (3, 'placeholder="Search clients"'), (8, 'alt="Logo"')]


def test_untagged_text_reports_words_around_template_values():
    found = untagged_text("<span>{{ days }} days late</span>\n<b>{% if a %}Yes{% endif %}</b>")
    assert [(item.line, item.text) for item in found] == [(1, "… days late"), (2, "…Yes…")]


def test_catalogue_gaps_are_untranslated_and_fuzzy_entries(tmp_path: Path):
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    catalogue.append(polib.POEntry(msgid="Clients", msgstr="Клиенты"))
    catalogue.append(polib.POEntry(msgid="Flags", msgstr=""))
    catalogue.append(polib.POEntry(msgid="Renewals", msgstr="Продления", flags=["fuzzy"]))
    path = tmp_path / "django.po"
    catalogue.save(str(path))
    assert sorted((gap.msgid, gap.reason) for gap in catalogue_gaps(path)) == [
        ("Flags", "untranslated"),
        ("Renewals", "fuzzy"),
    ]
