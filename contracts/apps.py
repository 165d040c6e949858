from django.apps import AppConfig


class ContractsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contracts"

    def ready(self) -> None:
        from clients import derived, panels, timeline
        from clients.services import HANDOFF_ACCEPTED
        from contracts import list_columns as contract_list_columns
        from contracts import panels as contract_panels
        from contracts import services, timeline_providers
        from core import events

        events.subscribe(HANDOFF_ACCEPTED, services.contract_from_handoff)
        panels.register(contract_panels.PANEL)
        panels.register(contract_panels.PAPERWORK_PANEL)
        for provider in timeline_providers.providers():
            timeline.register(provider)
        derived.register(services.derived_client_fields)
        panels.register_list_column(contract_list_columns.COLUMN)
