from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboards"

    def ready(self) -> None:
        from clients import panels

        panels.register_list_action("dashboards/_client_list_export.html")
        panels.register_bulk_action("dashboards/_bulk_export.html")
