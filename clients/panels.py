"""Panels of the client page ("account 360"), contributed by the apps that own their data.

The client page lives in ``clients``, which cannot import the apps to its right (DESIGN.md). Each of
those apps registers a ``ClientPanel`` from its ``AppConfig.ready()``: a function that reads what the
panel shows (already scoped to the viewer, a fixed number of queries) and a template per slot of the
page. The page calls each panel's function once and renders its templates in the slots, in ``order``.
Returning ``None`` hides the panel (for example, for a viewer who may not see it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clients.models import Client
    from users.models import User

# Where a panel's templates go on the page.
SLOTS = ("badges", "actions", "alerts", "side", "main")


@dataclass(frozen=True)
class ClientPanel:
    key: str
    context: Callable[..., Mapping[str, Any] | None]  # (client=, user=, today=) -> context or None
    templates: Mapping[str, str]  # slot -> template name
    order: int = 50
    # A different place in one slot than ``order`` gives (e.g. the quick log first among the actions).
    slot_order: Mapping[str, int] = field(default_factory=dict)
    # Chart series the panel adds to the page's one JSON island (key -> JSON-able value).
    chart_data: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None


@dataclass
class RenderedPanels:
    slots: dict[str, list[tuple[str, Mapping[str, Any]]]] = field(default_factory=lambda: {s: [] for s in SLOTS})
    chart_data: dict[str, Any] = field(default_factory=dict)


_panels: dict[str, ClientPanel] = {}


def register(panel: ClientPanel) -> None:
    unknown = set(panel.templates) - set(SLOTS)
    if unknown:
        raise ValueError(f"Unknown client page slot(s) {sorted(unknown)}; use {SLOTS}.")
    _panels[panel.key] = panel


def registered() -> tuple[ClientPanel, ...]:
    return tuple(sorted(_panels.values(), key=lambda p: (p.order, p.key)))


def panels_for(*, client: Client, user: User, today: dt.date) -> RenderedPanels:
    rendered = RenderedPanels()
    placed: dict[str, list[tuple[int, str, str, Any]]] = {slot: [] for slot in SLOTS}
    for panel in registered():
        context = panel.context(client=client, user=user, today=today)
        if context is None:
            continue
        for slot, template in panel.templates.items():
            placed[slot].append((panel.slot_order.get(slot, panel.order), panel.key, template, context))
        if panel.chart_data is not None:
            rendered.chart_data.update(panel.chart_data(context))
    for slot, items in placed.items():
        rendered.slots[slot] = [(template, context) for _, _, template, context in sorted(items, key=lambda i: i[:2])]
    return rendered


# Buttons other apps add to the client list's header (e.g. dashboards' CSV export): template names,
# rendered with the list page's context.
_list_actions: list[str] = []


def register_list_action(template: str) -> None:
    if template not in _list_actions:
        _list_actions.append(template)


def list_actions() -> tuple[str, ...]:
    return tuple(_list_actions)


# Columns other apps add to the client list (e.g. health's score and band), with an optional filter.
# ``annotate`` adds the column's value to the list's one query (a subquery, so the page's query count
# stays constant); ``filter`` narrows the list to one of ``filter_choices``.
@dataclass(frozen=True)
class ListColumn:
    key: str
    label: str
    cell_template: str  # rendered with ``client`` (one row of the list)
    annotate: Callable[..., Any]  # (queryset, *, today) -> queryset
    filter_label: str = ""
    filter_empty_label: str = ""
    filter_choices: tuple[tuple[str, str], ...] = ()
    filter: Callable[..., Any] | None = None  # (queryset, value) -> queryset
    order: int = 50


_list_columns: dict[str, ListColumn] = {}


def register_list_column(column: ListColumn) -> None:
    _list_columns[column.key] = column


def list_columns() -> tuple[ListColumn, ...]:
    return tuple(sorted(_list_columns.values(), key=lambda c: (c.order, c.key)))


def apply_list_columns(queryset, *, params: Mapping[str, str], today: dt.date):
    """The list's queryset with every column's value, narrowed by the columns' filters found in ``params``.
    Returns (queryset, [(column, chosen value)])."""
    chosen = []
    for column in list_columns():
        queryset = column.annotate(queryset, today=today)
        value = params.get(column.key, "") if column.filter else ""
        if value and value in {key for key, _label in column.filter_choices}:
            queryset = column.filter(queryset, value)
        else:
            value = ""
        chosen.append((column, value))
    return queryset, chosen
