from django.urls import path  # noqa: F401  (routes are added with the reviews pages)

app_name = "reviews"

urlpatterns: list = []
