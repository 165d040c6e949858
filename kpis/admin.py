from django.contrib import admin

from kpis.models import Metric


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "unit", "higher_is_better", "aggregation", "is_active")
    list_filter = ("aggregation", "higher_is_better", "is_active")
    search_fields = ("key", "name")
