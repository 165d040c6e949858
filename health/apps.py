from django.apps import AppConfig


class HealthConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "health"

    def ready(self) -> None:
        from clients import panels
        from core import events
        from health import list_columns as health_list_columns
        from health import panels as health_panels
        from health import services
        from kpis.services import KPI_VALUES_WRITTEN

        events.subscribe(KPI_VALUES_WRITTEN, services.on_kpi_values_written)
        panels.register(health_panels.PANEL)
        panels.register_list_column(health_list_columns.COLUMN)
        panels.register_list_column(health_list_columns.TREND_COLUMN)
