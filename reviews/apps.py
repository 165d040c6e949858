from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"

    def ready(self) -> None:
        from clients import panels, timeline
        from reviews import panels as review_panels
        from reviews import timeline_providers

        panels.register(review_panels.PANEL)

        for provider in timeline_providers.providers():
            timeline.register(provider)
