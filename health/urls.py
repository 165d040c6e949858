from django.urls import path

from health import views

app_name = "health"

urlpatterns = [
    path("health/model/", views.health_model_edit, name="model"),
    path("health/model/versions/<int:pk>/", views.health_model_version, name="model_version"),
    path("health/model/versions/<int:pk>/restore/", views.health_model_restore, name="model_restore"),
    path("health/rescore/", views.health_rescore, name="rescore"),
    path("health/rescore/status/", views.health_rescore_status, name="rescore_status"),
]
