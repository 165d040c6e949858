from django.apps import AppConfig


class FlagsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "flags"

    def ready(self) -> None:
        from clients import panels
        from flags import panels as flags_panels

        panels.register(flags_panels.PANEL)
