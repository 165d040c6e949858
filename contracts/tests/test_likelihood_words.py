"""A renewal likelihood's factors read in the reader's language, with the plural forms of each count."""

from __future__ import annotations

from django.utils import translation

from contracts.templatetags.contracts_tags import likelihood_reasons

FACTORS = [
    {"code": "band_red", "points": -25, "params": {}},
    {"code": "health_falling", "points": -10, "params": {"points": 12}},
    {"code": "open_flags", "points": -15, "params": {"count": 1, "severe": 1}},
    {"code": "contact_lapsed", "points": -15, "params": {"days": 40, "cadence": 14}},
]


def test_the_reasons_in_english():
    assert likelihood_reasons(FACTORS) == (
        "health red (-25), health fell 12 points in 30 days (-10), 1 open flag (1 severe) (-15), "
        "last contact 40 days ago, cadence every 14 days (-15)"
    )
    assert likelihood_reasons([{"code": "contact_recent", "points": 0, "params": {"days": 0}}]) == "contacted today"


def test_the_reasons_in_russian_take_each_plural_form():
    with translation.override("ru"):
        said = likelihood_reasons(FACTORS)
        assert "упал на 12 баллов" in said and "1 открытый сигнал" in said
        assert "последний контакт 40 дней назад, периодичность раз в 14 дней" in said
        assert "3 открытых сигнала" in likelihood_reasons(
            [{"code": "open_flags", "points": 0, "params": {"count": 3, "severe": 0}}]
        )


def test_a_factor_stored_with_other_parameters_is_left_out_not_shown_broken():
    assert likelihood_reasons([{"code": "contact_lapsed", "points": -15, "params": {"days": 40}}]) == ""
    assert likelihood_reasons([{"code": "unknown", "points": 5}]) == ""
