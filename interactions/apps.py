from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "interactions"

    def ready(self) -> None:
        from clients import panels, timeline
        from clients.services import HANDOFF_ACCEPTED
        from core import events
        from interactions import list_columns as interaction_list_columns
        from interactions import panels as interaction_panels
        from interactions import services, timeline_providers

        events.subscribe(HANDOFF_ACCEPTED, services.followups_from_handoff)
        panels.register(interaction_panels.PANEL)
        for provider in timeline_providers.providers():
            timeline.register(provider)
        panels.register_list_column(interaction_list_columns.COLUMN)
        panels.register_bulk_action("interactions/_bulk_followup.html")
