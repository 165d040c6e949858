import django_filters

from contracts.models import Contract, Renewal
from core.filters import StrictFilterSet


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
