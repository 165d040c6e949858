from django.contrib import admin

from health.models import HealthModel, HealthScore


@admin.register(HealthModel)
class HealthModelAdmin(admin.ModelAdmin):
    list_display = ("version", "name", "is_active", "green_min", "yellow_min", "created_by", "created_at")
    readonly_fields = ("version", "components", "green_min", "yellow_min", "is_active", "created_by", "created_at")

    def has_add_permission(self, request):
        return False  # new versions are made on the health model page, with a preview


@admin.register(HealthScore)
class HealthScoreAdmin(admin.ModelAdmin):
    list_display = ("client", "date", "score", "band", "coverage", "weakest")
    list_filter = ("band", "date")
    raw_id_fields = ("client",)
    readonly_fields = ("client", "date", "model", "score", "band", "coverage", "weakest", "components")
