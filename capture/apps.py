from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptureConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "capture"
    verbose_name = _("E-mail capture")

    def ready(self) -> None:
        from capture import panels as capture_panels
        from clients import panels

        panels.register(capture_panels.PANEL)
        panels.register(capture_panels.MEETINGS_PANEL)
