from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotAllowedError
from kpis import services
from kpis.models import Metric, QuarantinedValue, QuarantineStatus


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = (
        "key",
        "name",
        "unit",
        "higher_is_better",
        "aggregation",
        "frequency",
        "min_value",
        "max_value",
        "is_active",
    )
    list_filter = ("aggregation", "frequency", "higher_is_better", "is_active")
    search_fields = ("key", "name")
    fieldsets = (
        (None, {"fields": ("key", "name", "unit", "description", "is_active")}),
        (_("How it is read"), {"fields": ("higher_is_better", "aggregation", "frequency")}),
        (_("Valid range (ingestion refuses values outside it)"), {"fields": ("min_value", "max_value")}),
    )


def _decide(modeladmin, request, queryset, service, done: str):
    count = 0
    for item in queryset.filter(status=QuarantineStatus.PENDING):
        try:
            service(item=item, by=request.user)
        except (ApplicationError, NotAllowedError) as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
            return
        count += 1
    modeladmin.message_user(request, done % {"count": count}, messages.SUCCESS)


@admin.action(description=_("Accept: score these values"))
def accept(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, services.quarantined_value_accept, str(_("%(count)d value(s) accepted.")))


@admin.action(description=_("Reject: keep them out of the KPIs"))
def reject(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, services.quarantined_value_reject, str(_("%(count)d value(s) rejected.")))


@admin.register(QuarantinedValue)
class QuarantinedValueAdmin(admin.ModelAdmin):
    """Sudden outliers held back by ingestion: accept (the value is scored) or reject (it stays out)."""

    list_display = ("client", "metric", "date", "value", "median", "times_median", "status", "received_at")
    list_filter = ("status", "metric")
    list_select_related = ("client", "metric")
    search_fields = ("client__name", "client__external_id")
    raw_id_fields = ("client",)
    readonly_fields = (
        "client",
        "metric",
        "date",
        "value",
        "median",
        "status",
        "received_at",
        "decided_at",
        "decided_by",
    )
    actions = [accept, reject]

    @admin.display(description=_("× median"))
    def times_median(self, obj: QuarantinedValue) -> str:
        return f"{abs(obj.value) / max(obj.median, 1.0):,.0f}×"

    def has_add_permission(self, request):
        return False  # ingestion puts values here

    def has_delete_permission(self, request, obj=None):
        return False  # decisions are kept
