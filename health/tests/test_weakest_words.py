"""The component that pulls a score down most is stored in the default language and read in the reader's."""

from __future__ import annotations

from django.utils import translation

from core.phrases import phrase
from health.models import weakest_in_words

COMPONENTS = [
    {"label": "Engagement", "label_said": phrase("health.component_label", kind="engagement", kpi="", label="")},
    {
        "label": "Orders: trend",
        "label_said": phrase("health.component_label", kind="kpi_trend", kpi="Orders", label=""),
    },
]


def test_the_weakest_component_reads_in_the_readers_language():
    assert weakest_in_words("Orders: trend", COMPONENTS) == "Orders: trend"
    with translation.override("ru"):
        said = weakest_in_words("Orders: trend", COMPONENTS)
    assert said.startswith("Orders") and said != "Orders: trend"


def test_a_weakest_without_its_phrase_is_shown_as_stored():
    assert weakest_in_words("Payments", COMPONENTS) == "Payments"
    assert weakest_in_words("Payments", None) == "Payments"
    assert weakest_in_words("", [{"label": "", "label_said": None}]) == ""
