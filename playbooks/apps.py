from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "playbooks"
    verbose_name = _("Playbooks")

    def ready(self) -> None:
        from clients import panels
        from clients.services import HANDOFF_ACCEPTED
        from core import events
        from flags.evaluation import FLAGS_OPENED
        from flags.panels import register_flag_panel
        from interactions.services import FOLLOWUP_CLOSED
        from playbooks import panels as playbook_panels
        from playbooks import services

        events.subscribe(FLAGS_OPENED, services.on_flags_opened)
        events.subscribe(HANDOFF_ACCEPTED, services.on_handoff_accepted)
        events.subscribe(FOLLOWUP_CLOSED, services.on_followup_closed)
        panels.register(playbook_panels.CLIENT_PANEL)
        register_flag_panel(playbook_panels.FLAG_PANEL)
