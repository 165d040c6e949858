from django.urls import path

from health import views

app_name = "health"

urlpatterns = [
    path("health/model/", views.health_model_edit, name="model"),
    path("health/model/calibration/", views.calibration_status, name="calibration"),
]
