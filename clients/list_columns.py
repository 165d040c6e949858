"""The client's own columns of the client list (other apps add theirs through ``clients.panels``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clients.panels import ListColumn, register_list_column

COLUMNS = (
    ListColumn(
        key="status", label=_("Status"), cell_template="clients/columns/_status.html", order=20, sort_key="status"
    ),
    ListColumn(key="segment", label=_("Segment"), cell_template="clients/columns/_segment.html", order=25),
    ListColumn(key="owner", label=_("Owner"), cell_template="clients/columns/_owner.html", order=30),
    ListColumn(
        key="arr", label=_("ARR"), cell_template="clients/columns/_arr.html", order=40, sort_key="arr", numeric=True
    ),
    ListColumn(
        key="renewal",
        label=_("Renewal"),
        cell_template="clients/columns/_renewal.html",
        order=50,
        sort_key="renewal_date",
    ),
    ListColumn(
        key="last_contact",
        label=_("Last contact"),
        cell_template="clients/columns/_last_contact.html",
        order=60,
        sort_key="last_contact",
    ),
    ListColumn(
        key="next_contact",
        label=_("Next contact"),
        cell_template="clients/columns/_next_contact.html",
        order=65,
        sort_key="contact_due",
    ),
    ListColumn(
        key="contacts", label=_("Contacts"), cell_template="clients/columns/_contacts.html", order=90, numeric=True
    ),
)


def register_columns() -> None:
    for column in COLUMNS:
        register_list_column(column)
