from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"

    def ready(self) -> None:
        from clients import timeline
        from reviews import timeline_providers

        for provider in timeline_providers.providers():
            timeline.register(provider)
