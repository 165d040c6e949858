"""Filters shared by the client list page and the client list endpoint."""

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, ClientStatus, Segment
from core.filters import StrictBooleanFilter, StrictFilterSet
from users.models import Role, User

RENEWAL_WINDOWS = [
    ("overdue", _("Overdue (date passed)")),
    ("30", _("Next 30 days")),
    ("60", _("Next 60 days")),
    ("90", _("Next 90 days")),
    ("180", _("Next 180 days")),
]


class ClientFilter(StrictFilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ClientStatus.choices, empty_label=_("Any status"))
    segment = django_filters.ChoiceFilter(label=_("Segment"), choices=Segment.choices, empty_label=_("Any segment"))
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"),
        queryset=User.objects.filter(role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD], is_active=True),
        empty_label=_("Any owner"),
    )
    is_key_account = StrictBooleanFilter(label=_("Key account"))
    renewal_within = django_filters.ChoiceFilter(
        choices=RENEWAL_WINDOWS, method="filter_renewal_within", label=_("Renewal"), empty_label=_("Any time")
    )
    archived = StrictBooleanFilter(method="filter_archived", label=_("Archived"))
    contact_overdue = StrictBooleanFilter(method="filter_contact_overdue", label=_("Overdue for contact"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("arr", "arr"),
            ("renewal_date", "renewal_date"),
            ("status", "status"),
            ("last_contact_at", "last_contact"),
            ("contact_due_on", "contact_due"),
        ),
        field_labels={
            "name": _("Name"),
            "arr": _("ARR"),
            "renewal_date": _("Renewal date"),
            "status": _("Status"),
            "last_contact_at": _("Last contact"),
            "contact_due_on": _("Next contact due"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Client
        fields = ["q", "status", "segment", "owner", "is_key_account", "renewal_within", "contact_overdue"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = "form-select" if hasattr(field.widget, "choices") else "form-control"
            field.widget.attrs.setdefault("class", css)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(external_id__iexact=value))

    def filter_renewal_within(self, queryset, name, value):
        today = timezone.localdate()
        if value == "overdue":
            return queryset.filter(renewal_date__lt=today)
        return queryset.filter(renewal_date__gte=today, renewal_date__lte=today + dt.timedelta(days=int(value)))

    def filter_contact_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(contact_due_on__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_archived(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(archived_at__isnull=not value)

    @property
    def qs(self):
        queryset = super().qs
        # Archived clients stay out of every list unless asked for explicitly.
        if self.form.cleaned_data.get("archived") is None:
            queryset = queryset.filter(archived_at__isnull=True)
        return queryset
