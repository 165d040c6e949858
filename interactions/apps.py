from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "interactions"

    def ready(self) -> None:
        from clients import hooks, timeline
        from interactions import services, timeline_providers

        hooks.register_handoff_accepted(services.followups_from_handoff)
        for provider in timeline_providers.providers():
            timeline.register(provider)
