"""The client page's panel registry: slots, order, hidden panels, chart data."""

from __future__ import annotations

import datetime as dt

import pytest

from clients import panels
from clients.panels import ClientPanel


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(panels, "_panels", {})
    return panels


def test_panels_fill_their_slots_in_order_and_a_slot_order_wins(registry):
    registry.register(ClientPanel(key="b", context=lambda **kw: {"n": 2}, templates={"side": "b.html"}, order=20))
    registry.register(
        ClientPanel(
            key="a",
            context=lambda **kw: {"n": 1},
            templates={"side": "a.html", "actions": "a_actions.html"},
            order=30,
            slot_order={"actions": 0},
            chart_data=lambda context: {"a": [context["n"]]},
        )
    )
    registry.register(
        ClientPanel(key="c", context=lambda **kw: {"n": 3}, templates={"actions": "c_actions.html"}, order=10)
    )

    rendered = registry.panels_for(client=None, user=None, today=dt.date(2026, 12, 2))

    assert [t for t, _ in rendered.slots["side"]] == ["b.html", "a.html"]
    assert [t for t, _ in rendered.slots["actions"]] == ["a_actions.html", "c_actions.html"]
    assert rendered.chart_data == {"a": [1]}


def test_a_panel_whose_context_is_none_is_hidden(registry):
    registry.register(ClientPanel(key="hidden", context=lambda **kw: None, templates={"main": "x.html"}))
    rendered = registry.panels_for(client=None, user=None, today=dt.date(2026, 12, 2))
    assert rendered.slots["main"] == []


def test_an_unknown_slot_is_refused_at_registration(registry):
    with pytest.raises(ValueError, match="slot"):
        registry.register(ClientPanel(key="x", context=lambda **kw: {}, templates={"footer": "x.html"}))


def test_the_apps_register_their_panels():
    keys = {panel.key for panel in panels.registered()}
    assert {"flags", "health", "kpis", "followups", "reviews"} <= keys
