from django.apps import AppConfig


class FlagsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "flags"

    def ready(self) -> None:
        from clients import panels
        from clients.services import CLIENT_OWNER_CHANGED
        from contracts.services import BILLING_CHANGED, RENEWAL_CHANGED
        from core import events
        from flags import panels as flags_panels
        from flags import services
        from interactions.services import CONTACT_LOGGED

        panels.register(flags_panels.PANEL)
        events.subscribe(RENEWAL_CHANGED, services.renewal_likelihood_on_change)
        events.subscribe(CONTACT_LOGGED, services.contact_rules_reevaluate)
        events.subscribe(CLIENT_OWNER_CHANGED, services.flags_follow_owner)
        events.subscribe(BILLING_CHANGED, services.billing_rules_reevaluate)
