"""The client list's "ARR in the base currency" column: the client's ARR at the latest rate on or before today
(the rate contracts.selectors.convert uses), in one subquery; no rate reads as missing, never guessed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from clients.panels import ListColumn
from contracts.models import ExchangeRate

MONEY = DecimalField(max_digits=24, decimal_places=2)


def _annotate(queryset, *, today: dt.date):
    rate = ExchangeRate.objects.filter(currency=OuterRef("currency"), date__lte=today).order_by("-date")
    queryset = queryset.annotate(
        base_rate=Case(
            When(currency=settings.BASE_CURRENCY, then=Value(Decimal(1))),
            default=Subquery(rate.values("rate")[:1]),
            output_field=DecimalField(max_digits=20, decimal_places=10),
        )
    )
    return queryset.annotate(arr_base=ExpressionWrapper(F("arr") * F("base_rate"), output_field=MONEY))


COLUMN = ListColumn(
    key="arr_base",
    label=_("ARR (base currency)"),
    cell_template="contracts/_list_arr_base.html",
    annotate=_annotate,
    order=42,
    default=False,
    numeric=True,
)
