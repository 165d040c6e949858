from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from clients import panels, timeline
        from core import providers
        from surveys import panels as survey_panels
        from surveys import selectors, timeline_providers

        panels.register(survey_panels.PANEL)
        for provider in timeline_providers.providers():
            timeline.register(provider)
        providers.provide(providers.NPS_ANSWERS, selectors.nps_answers_as_of)
