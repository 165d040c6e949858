from django.apps import AppConfig


class FlagsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "flags"

    def ready(self) -> None:
        from clients import panels
        from contracts.services import RENEWAL_CHANGED
        from core import events
        from flags import panels as flags_panels
        from flags import services

        panels.register(flags_panels.PANEL)
        events.subscribe(RENEWAL_CHANGED, services.renewal_likelihood_on_change)
