from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.portfolio, name="portfolio"),
    path("surveys/<int:pk>/", views.survey_detail, name="detail"),
    path("surveys/<int:pk>/remind/", views.survey_remind, name="remind"),
    path("surveys/<int:pk>/close/", views.survey_close, name="close"),
    path("clients/<int:client_pk>/surveys/", views.client_surveys, name="client"),
    path("survey-schedules/<int:pk>/stop/", views.schedule_stop, name="schedule_stop"),
    path("a/<str:token>/", views.answer, name="answer"),
]
