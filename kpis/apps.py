from django.apps import AppConfig


class KpisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kpis"
    verbose_name = "KPIs"

    def ready(self) -> None:
        from clients import panels
        from kpis import panels as kpis_panels

        panels.register(kpis_panels.PANEL)
