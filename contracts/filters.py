import django_filters
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, Document, Invoice, Renewal
from core.filters import StrictBooleanFilter, StrictFilterSet


class ContractFilter(StrictFilterSet):
    class Meta:
        model = Contract
        fields = ["client", "status", "kind", "currency"]


class RenewalFilter(StrictFilterSet):
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")

    class Meta:
        model = Renewal
        fields = ["client", "stage"]


class InvoiceFilter(StrictFilterSet):
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("overdue"))
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Invoice
        fields = ["client", "contract", "status", "currency"]

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        from contracts.selectors import overdue_invoice_q

        condition = overdue_invoice_q(timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class DocumentFilter(StrictFilterSet):
    class Meta:
        model = Document
        fields = ["client", "contract", "invoice", "kind", "signature"]
