from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"

    def ready(self) -> None:
        from capture import calendar
        from clients import panels, timeline
        from core import providers
        from reviews import calendar as review_calendar
        from reviews import panels as review_panels
        from reviews import selectors, timeline_providers

        panels.register(review_panels.PANEL)
        calendar.register_provider(review_calendar.review_entries)
        providers.provide(providers.LAST_REVIEW, selectors.last_reviews_as_of)

        for provider in timeline_providers.providers():
            timeline.register(provider)
