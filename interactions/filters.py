import django_filters

from core.filters import StrictFilterSet
from interactions.models import FollowUp, FollowUpStatus, Interaction, InteractionKind


class InteractionFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=InteractionKind.choices)
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lte")

    class Meta:
        model = Interaction
        fields = ["client", "author", "kind", "sentiment", "occurred_after", "occurred_before"]


class FollowUpFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices)
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = FollowUp
        fields = ["client", "owner", "status", "is_commitment", "origin", "due_after", "due_before"]
