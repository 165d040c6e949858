from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sharing"
    verbose_name = _("Shared plan pages")

    def ready(self) -> None:
        from clients import panels, timeline
        from sharing import panels as sharing_panels
        from sharing import timeline_providers

        panels.register(sharing_panels.PANEL)
        for provider in timeline_providers.providers():
            timeline.register(provider)
