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


# Buttons other apps add to the bulk-action bar of the client list (e.g. interactions' "Add a follow-up",
# dashboards' "Export the selection"): templates rendered inside the list page, whose buttons submit the
# selected rows' ``ids`` with ``form="bulk-form"`` and their own ``formaction``.
_bulk_actions: list[str] = []


def register_bulk_action(template: str) -> None:
    if template not in _bulk_actions:
        _bulk_actions.append(template)


def bulk_actions() -> tuple[str, ...]:
    return tuple(_bulk_actions)


# Columns of the client list: the client's own (clients.list_columns) and the ones other apps add (health's score
# and trend, interactions' next follow-up, contracts' ARR in the base currency), with an optional filter. The user
# chooses which are shown (``?cols=``); ``annotate`` adds the column's value to the list's one query (a subquery,
# so the page's query count stays constant whatever the columns); ``filter`` narrows the list to one of
# ``filter_choices``.
@dataclass(frozen=True)
class ListColumn:
    key: str
    label: str
    cell_template: str  # rendered with ``client`` (one row of the list)
    annotate: Callable[..., Any] | None = None  # (queryset, *, today) -> queryset
    filter_label: str = ""
    filter_empty_label: str = ""
    filter_choices: tuple[tuple[str, str], ...] = ()
    filter: Callable[..., Any] | None = None  # (queryset, value) -> queryset
    order: int = 50
    default: bool = True  # shown until the user chooses their columns
    sort_key: str = ""  # the list's ``ordering`` name when the column sorts
    numeric: bool = False  # right-aligned


_list_columns: dict[str, ListColumn] = {}


def register_list_column(column: ListColumn) -> None:
    _list_columns[column.key] = column


def list_columns() -> tuple[ListColumn, ...]:
    return tuple(sorted(_list_columns.values(), key=lambda c: (c.order, c.key)))


def default_column_keys() -> list[str]:
    return [c.key for c in list_columns() if c.default]


def chosen_column_keys(requested: list[str] | None) -> list[str]:
    """The known columns among ``requested`` (in the registry's order); the defaults when none is known."""
    known = [c.key for c in list_columns() if c.key in set(requested or ())]
    return known or default_column_keys()


@dataclass(frozen=True)
class ListColumns:
    shown: list[ListColumn]
    filters: list[tuple[ListColumn, str]]  # (column with a filter, chosen value or "")
    chosen_keys: list[str]


def apply_list_columns(queryset, *, params: Mapping[str, str], today: dt.date, chosen: list[str] | None = None):
    """The list's queryset with the value of every shown column, narrowed by the columns' filters found in
    ``params``. Returns (queryset, ListColumns)."""
    keys = chosen_column_keys(chosen)
    shown, filters = [], []
    for column in list_columns():
        value = params.get(column.key, "") if column.filter else ""
        if value not in {key for key, _label in column.filter_choices}:
            value = ""
        if column.annotate is not None and (column.key in keys or value):
            queryset = column.annotate(queryset, today=today)
        if value:
            queryset = column.filter(queryset, value)
        if column.filter is not None:
            filters.append((column, value))
        if column.key in keys:
            shown.append(column)
    return queryset, ListColumns(shown=shown, filters=filters, chosen_keys=keys)
